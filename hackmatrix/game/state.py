"""The fixed-shape game state: one pytree of int32 / bool / float32 arrays (no Python objects, no dynamic shapes).

Layout choices the spec leaves open (§2.5):
- Cells are stored as ``(6, 6)`` arrays indexed ``[row, col]`` (row 0 = bottom row).
- Enemies and transmissions are fixed-capacity slot arrays with an ``alive`` flag. Their *list order* (§0) is the
  ascending ``order`` value among alive slots: every new entry gets ``GameState.next_order`` and the counter grows,
  so "first in list order" is "alive slot with the smallest order" and removal never reorders the rest.
- A question block is stored as its hidden true content (``block_kind``, ``points``/``program``) plus
  ``question=True``; siphoning clears ``question``.
- The UNDO history is a ring buffer of ``HISTORY_SIZE`` snapshots; ``count`` of them are valid and ``top`` is the
  slot of the most recent one.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from hackmatrix.game import constants as C


class Board(NamedTuple):
    """Per-cell content and flags, each ``(6, 6)``."""

    content: Int[Array, "6 6"]  # CONTENT_EMPTY / BLOCK / PICKUP / EXIT
    block_kind: Int[Array, "6 6"]  # BLOCK_NONE / DATA / PROGRAM (true kind, also under a question mark)
    question: Bool[Array, "6 6"]  # unresolved question block
    points: Int[Array, "6 6"]  # data points (0 for program blocks)
    program: Int[Array, "6 6"]  # program index of a program block, NO_PROGRAM otherwise
    spawn: Int[Array, "6 6"]  # current spawn count of the block
    credits: Int[Array, "6 6"]  # credits lying on the cell
    energy: Int[Array, "6 6"]  # energy lying on the cell
    siphoned: Bool[Array, "6 6"]
    siphon_center: Bool[Array, "6 6"]


class Player(NamedTuple):
    row: Int[Array, ""]
    col: Int[Array, ""]
    hp: Int[Array, ""]
    credits: Int[Array, ""]
    energy: Int[Array, ""]
    data_siphons: Int[Array, ""]
    attack_damage: Int[Array, ""]
    score: Int[Array, ""]


class Enemies(NamedTuple):
    """``MAX_ENEMIES`` slots; list order is ascending ``order`` among ``alive`` slots."""

    alive: Bool[Array, " E"]
    kind: Int[Array, " E"]  # VIRUS / DAEMON / GLITCH / CRYPTOG
    row: Int[Array, " E"]
    col: Int[Array, " E"]
    hp: Int[Array, " E"]
    disabled: Int[Array, " E"]  # disabled_turns, 0 or 1
    stunned: Bool[Array, " E"]
    from_siphon: Bool[Array, " E"]
    from_scheduled: Bool[Array, " E"]
    order: Int[Array, " E"]


class Transmissions(NamedTuple):
    """``MAX_TRANSMISSIONS`` slots; list order is ascending ``order`` among ``alive`` slots."""

    alive: Bool[Array, " T"]
    row: Int[Array, " T"]
    col: Int[Array, " T"]
    countdown: Int[Array, " T"]
    kind: Int[Array, " T"]  # enemy type it will become
    from_siphon: Bool[Array, " T"]
    from_scheduled: Bool[Array, " T"]
    order: Int[Array, " T"]


class Snapshot(NamedTuple):
    """What UNDO restores (§4.3). Stored with a leading ``HISTORY_SIZE`` axis inside :class:`History`."""

    player: Player
    turn: Int[Array, ""]
    owned: Bool[Array, " 23"]
    board: Board
    enemies: Enemies
    transmissions: Transmissions
    show: Bool[Array, ""]
    calm: Bool[Array, ""]
    atk_plus_uses: Int[Array, ""]
    reward_totals: Float[Array, " 15"]


class History(NamedTuple):
    snapshots: Snapshot  # every leaf has a leading axis of size HISTORY_SIZE
    count: Int[Array, ""]  # valid snapshots, 0..HISTORY_SIZE
    top: Int[Array, ""]  # ring slot of the most recent snapshot


class GameState(NamedTuple):
    player: Player
    board: Board
    enemies: Enemies
    transmissions: Transmissions
    stage: Int[Array, ""]  # 1..8, 9 after victory
    turn: Int[Array, ""]
    owned: Bool[Array, " 23"]
    show: Bool[Array, ""]
    calm: Bool[Array, ""]
    step_pending: Bool[Array, ""]  # STEP: the next enemy phase is skipped
    atk_plus_uses: Int[Array, ""]
    exit_row: Int[Array, ""]
    exit_col: Int[Array, ""]
    sched_interval: Int[Array, ""]
    sched_next: Int[Array, ""]
    pending_siphon: Int[Array, ""]
    next_order: Int[Array, ""]  # creation counter giving list order to new enemies / transmissions
    reward_totals: Float[Array, " 15"]  # the episode's running total of each reward component
    history: History


def _i32(value=0) -> Int[Array, ""]:
    return jnp.asarray(value, dtype=jnp.int32)


def _false() -> Bool[Array, ""]:
    return jnp.asarray(False)


def empty_board() -> Board:
    zeros = jnp.zeros((C.BOARD_SIZE, C.BOARD_SIZE), jnp.int32)
    no = jnp.zeros((C.BOARD_SIZE, C.BOARD_SIZE), bool)
    return Board(
        content=zeros, block_kind=zeros, question=no, points=zeros,
        program=jnp.full((C.BOARD_SIZE, C.BOARD_SIZE), C.NO_PROGRAM, jnp.int32),
        spawn=zeros, credits=zeros, energy=zeros, siphoned=no, siphon_center=no,
    )  # fmt: skip


def empty_enemies() -> Enemies:
    z = jnp.zeros((C.MAX_ENEMIES,), jnp.int32)
    no = jnp.zeros((C.MAX_ENEMIES,), bool)
    return Enemies(alive=no, kind=z, row=z, col=z, hp=z, disabled=z, stunned=no, from_siphon=no,
                   from_scheduled=no, order=z)  # fmt: skip


def empty_transmissions() -> Transmissions:
    z = jnp.zeros((C.MAX_TRANSMISSIONS,), jnp.int32)
    no = jnp.zeros((C.MAX_TRANSMISSIONS,), bool)
    return Transmissions(alive=no, row=z, col=z, countdown=z, kind=z, from_siphon=no, from_scheduled=no,
                         order=z)  # fmt: skip


def player_at(row, col, *, hp=C.MAX_HP, credits=0, energy=0, data_siphons=0, attack_damage=1, score=0) -> Player:
    return Player(row=_i32(row), col=_i32(col), hp=_i32(hp), credits=_i32(credits), energy=_i32(energy),
                  data_siphons=_i32(data_siphons), attack_damage=_i32(attack_damage), score=_i32(score))  # fmt: skip


def snapshot_of(state: GameState) -> Snapshot:
    """The fields UNDO restores, taken from ``state`` as they are now."""
    return Snapshot(
        player=state.player, turn=state.turn, owned=state.owned, board=state.board, enemies=state.enemies,
        transmissions=state.transmissions, show=state.show, calm=state.calm, atk_plus_uses=state.atk_plus_uses,
        reward_totals=state.reward_totals,
    )  # fmt: skip


def empty_history(template: Snapshot) -> History:
    snapshots = Snapshot(*[_stack_zeros(leaf) for leaf in template])
    return History(snapshots=snapshots, count=_i32(0), top=_i32(C.HISTORY_SIZE - 1))


def _stack_zeros(tree):
    return jax.tree.map(lambda x: jnp.zeros((C.HISTORY_SIZE, *jnp.shape(x)), jnp.asarray(x).dtype), tree)


def initial_state(player: Player) -> GameState:
    """Every field at its §2 initial value around ``player``, on an empty board (no exit yet)."""
    base = GameState(
        player=player, board=empty_board(), enemies=empty_enemies(), transmissions=empty_transmissions(),
        stage=_i32(1), turn=_i32(0), owned=jnp.zeros((C.NUM_PROGRAMS,), bool), show=_false(), calm=_false(),
        step_pending=_false(), atk_plus_uses=_i32(0), exit_row=_i32(C.BOARD_SIZE - 1),
        exit_col=_i32(C.BOARD_SIZE - 1), sched_interval=_i32(C.SCHED_BASE - 1), sched_next=_i32(C.SCHED_BASE - 1),
        pending_siphon=_i32(0), next_order=_i32(0),
        reward_totals=jnp.zeros((C.NUM_REWARD_COMPONENTS,), jnp.float32), history=None,  # type: ignore[arg-type]
    )  # fmt: skip
    return base._replace(history=empty_history(snapshot_of(base)))
