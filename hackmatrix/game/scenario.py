"""Hand-built test scenarios (spec §10): plain Python descriptions turned into a :class:`GameState`, and back.

``build_state`` validates the whole scenario in Python first, so a broken scenario raises a ``ValueError`` naming
the offending entry (e.g. ``"blocks[1]: cell (2, 3) already holds a block"``) before any JAX work. ``describe`` is
the inverse view used by tests: the state as plain Python values, entities in list order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import PRNGKeyArray

from hackmatrix.game import constants as C
from hackmatrix.game.state import Board, Enemies, GameState, Transmissions, initial_state, player_at

Cell = tuple[int, int]
ProgramRef = str | int  # a program name ("SIPH+") or its action index (5-27)


@dataclasses.dataclass(frozen=True)
class PlayerSpec:
    row: int
    col: int
    hp: int = C.MAX_HP  # values outside 0-3 are treated as 3 (§10.7)
    credits: int = 0
    energy: int = 0
    data_siphons: int = 0
    attack_damage: int = 1
    score: int = 0


@dataclasses.dataclass(frozen=True)
class EnemySpec:
    kind: str  # "virus", "daemon", "glitch" or "cryptog"
    row: int
    col: int
    hp: int
    stunned: bool = False
    from_siphon: bool = False
    from_scheduled: bool = False


@dataclasses.dataclass(frozen=True)
class TransmissionSpec:
    row: int
    col: int
    countdown: int
    kind: str  # the enemy type it becomes


@dataclasses.dataclass(frozen=True)
class BlockSpec:
    row: int
    col: int
    kind: str  # "data" or "program"
    points: int = 0
    spawn_count: int = 0
    siphoned: bool = False
    program: ProgramRef | None = None  # required for program blocks


@dataclasses.dataclass(frozen=True)
class ResourceSpec:
    row: int
    col: int
    credits: int = 0
    energy: int = 0
    data_siphon: bool = False  # a pickup; the amounts are then ignored (§10.4)


@dataclasses.dataclass(frozen=True)
class Scenario:
    player: PlayerSpec
    enemies: Sequence[EnemySpec] = ()
    transmissions: Sequence[TransmissionSpec] = ()
    blocks: Sequence[BlockSpec] = ()
    resources: Sequence[ResourceSpec] = ()
    owned_programs: Sequence[ProgramRef] = ()
    stage: int = 1
    turn: int = 0
    show: bool = False
    calm: bool = False


EXIT_CELL = (C.BOARD_SIZE - 1, C.BOARD_SIZE - 1)  # §10.5: scenarios always put the exit at (5, 5)


def program_index(ref: ProgramRef, where: str) -> int:
    """Program index 0-22 of a program given by name or by action index 5-27."""
    if isinstance(ref, str) and ref.upper() in C.PROGRAM_INDEX:
        return C.PROGRAM_INDEX[ref.upper()]
    if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
        if C.FIRST_PROGRAM_ACTION <= ref < C.NUM_ACTIONS:
            return int(ref) - C.FIRST_PROGRAM_ACTION
    raise ValueError(f"{where}: unknown program {ref!r} (use a name like 'SIPH+' or an action index 5-27)")


def _enemy_kind(name: str, where: str) -> int:
    if isinstance(name, str) and name.lower() in C.ENEMY_INDEX:
        return C.ENEMY_INDEX[name.lower()]
    raise ValueError(f"{where}: unknown enemy kind {name!r} (one of {', '.join(C.ENEMY_NAMES)})")


def _check_cell(row: int, col: int, where: str) -> Cell:
    if not (0 <= row < C.BOARD_SIZE and 0 <= col < C.BOARD_SIZE):
        raise ValueError(f"{where}: cell ({row}, {col}) is off the 6x6 board")
    return row, col


def _check_at_least(value: int, low: int, what: str, where: str) -> None:
    if value < low:
        raise ValueError(f"{where}: {what} {value} must be at least {low}")


def _board_arrays(scenario: Scenario) -> dict[str, np.ndarray]:
    """The cell arrays of §10 rules 1, 3, 4 and 5 as numpy, validating block and resource entries."""
    shape = (C.BOARD_SIZE, C.BOARD_SIZE)
    cells = {
        "content": np.full(shape, C.CONTENT_EMPTY, np.int32), "block_kind": np.full(shape, C.BLOCK_NONE, np.int32),
        "points": np.zeros(shape, np.int32), "program": np.full(shape, C.NO_PROGRAM, np.int32),
        "spawn": np.zeros(shape, np.int32), "credits": np.zeros(shape, np.int32),
        "energy": np.zeros(shape, np.int32), "siphoned": np.zeros(shape, bool),
    }  # fmt: skip
    for i, block in enumerate(scenario.blocks):
        where = f"blocks[{i}]"
        cell = _check_cell(block.row, block.col, where)
        if cells["content"][cell] == C.CONTENT_BLOCK:
            raise ValueError(f"{where}: cell {cell} already holds a block")
        _check_at_least(block.points, 0, "points", where)
        _check_at_least(block.spawn_count, 0, "spawn_count", where)
        if block.kind == "data":
            if block.program is not None:
                raise ValueError(f"{where}: a data block holds no program (got {block.program!r})")
        elif block.kind == "program":
            if block.program is None:
                raise ValueError(f"{where}: a program block needs a program")
            if block.points != 0:
                raise ValueError(f"{where}: a program block has no points (got {block.points})")
            cells["program"][cell] = program_index(block.program, where)
        else:
            raise ValueError(f"{where}: unknown block kind {block.kind!r} (one of 'data', 'program')")
        cells["content"][cell] = C.CONTENT_BLOCK
        cells["block_kind"][cell] = C.BLOCK_KIND_NAMES[block.kind]
        cells["points"][cell] = block.points
        cells["spawn"][cell] = block.spawn_count
        cells["siphoned"][cell] = block.siphoned
    has_resource = np.zeros(shape, bool)
    for i, resource in enumerate(scenario.resources):
        where = f"resources[{i}]"
        cell = _check_cell(resource.row, resource.col, where)
        if has_resource[cell]:
            raise ValueError(f"{where}: cell {cell} already holds a resource")
        has_resource[cell] = True
        _check_at_least(resource.credits, 0, "credits", where)
        _check_at_least(resource.energy, 0, "energy", where)
        if resource.data_siphon:
            if cells["content"][cell] == C.CONTENT_BLOCK and cell != EXIT_CELL:
                raise ValueError(f"{where}: cell {cell} holds a block, so it cannot hold a data-siphon pickup")
            cells["content"][cell] = C.CONTENT_PICKUP
        elif resource.credits > 0:  # one resource type per cell, credits win (§10.4)
            cells["credits"][cell] = resource.credits
        else:
            cells["energy"][cell] = resource.energy
    cells["content"][EXIT_CELL] = C.CONTENT_EXIT
    cells["block_kind"][EXIT_CELL] = C.BLOCK_NONE
    cells["points"][EXIT_CELL] = 0
    cells["program"][EXIT_CELL] = C.NO_PROGRAM
    cells["spawn"][EXIT_CELL] = 0
    return cells


def _enemy_arrays(enemies: Sequence[EnemySpec]) -> Enemies:
    if len(enemies) > C.MAX_ENEMIES:
        raise ValueError(f"enemies: {len(enemies)} enemies exceed the capacity of {C.MAX_ENEMIES}")
    n = len(enemies)
    kind, row, col, hp = (np.zeros(C.MAX_ENEMIES, np.int32) for _ in range(4))
    stunned, from_siphon, from_scheduled = (np.zeros(C.MAX_ENEMIES, bool) for _ in range(3))
    for i, enemy in enumerate(enemies):
        where = f"enemies[{i}]"
        kind[i] = _enemy_kind(enemy.kind, where)
        row[i], col[i] = _check_cell(enemy.row, enemy.col, where)
        _check_at_least(enemy.hp, 1, "hp", where)
        hp[i] = enemy.hp
        stunned[i], from_siphon[i], from_scheduled[i] = enemy.stunned, enemy.from_siphon, enemy.from_scheduled
    alive = np.arange(C.MAX_ENEMIES) < n
    return Enemies(
        alive=jnp.asarray(alive), kind=jnp.asarray(kind), row=jnp.asarray(row), col=jnp.asarray(col),
        hp=jnp.asarray(hp), disabled=jnp.zeros(C.MAX_ENEMIES, jnp.int32), stunned=jnp.asarray(stunned),
        from_siphon=jnp.asarray(from_siphon), from_scheduled=jnp.asarray(from_scheduled),
        order=jnp.asarray(np.where(alive, np.arange(C.MAX_ENEMIES), 0), jnp.int32),
    )  # fmt: skip


def _transmission_arrays(transmissions: Sequence[TransmissionSpec], first_order: int) -> Transmissions:
    row, col, countdown, kind = (np.zeros(C.MAX_TRANSMISSIONS, np.int32) for _ in range(4))
    seen: set[Cell] = set()
    for i, transmission in enumerate(transmissions):
        where = f"transmissions[{i}]"
        cell = _check_cell(transmission.row, transmission.col, where)
        if cell in seen:
            raise ValueError(f"{where}: cell {cell} already holds a transmission")
        seen.add(cell)
        _check_at_least(transmission.countdown, 1, "countdown", where)
        row[i], col[i] = cell
        countdown[i] = transmission.countdown
        kind[i] = _enemy_kind(transmission.kind, where)
    alive = np.arange(C.MAX_TRANSMISSIONS) < len(transmissions)
    no = jnp.zeros(C.MAX_TRANSMISSIONS, bool)
    return Transmissions(
        alive=jnp.asarray(alive), row=jnp.asarray(row), col=jnp.asarray(col), countdown=jnp.asarray(countdown),
        kind=jnp.asarray(kind), from_siphon=no, from_scheduled=no,
        order=jnp.asarray(np.where(alive, first_order + np.arange(C.MAX_TRANSMISSIONS), 0), jnp.int32),
    )  # fmt: skip


def _check_player(player: PlayerSpec) -> None:
    _check_cell(player.row, player.col, "player")
    for what in ("credits", "energy", "data_siphons"):
        _check_at_least(getattr(player, what), 0, what, "player")
    _check_at_least(player.attack_damage, 1, "attack_damage", "player")


def build_state(scenario: Scenario, key: PRNGKeyArray | None = None) -> GameState:
    """The state §10 describes for ``scenario``. Scenario building draws nothing random: ``key`` is accepted for
    symmetry with ``new_game`` and ignored. Raises ``ValueError`` naming the first entry that breaks the rules."""
    del key
    _check_player(scenario.player)
    cells = _board_arrays(scenario)
    enemies = _enemy_arrays(scenario.enemies)
    transmissions = _transmission_arrays(scenario.transmissions, first_order=len(scenario.enemies))
    owned = np.zeros(C.NUM_PROGRAMS, bool)
    for i, ref in enumerate(scenario.owned_programs):
        owned[program_index(ref, f"owned_programs[{i}]")] = True
    if not 1 <= scenario.stage <= C.NUM_STAGES:
        raise ValueError(f"stage: {scenario.stage} is not a stage of play (1-{C.NUM_STAGES})")
    _check_at_least(scenario.turn, 0, "turn", "turn")

    p = scenario.player
    hp = p.hp if 0 <= p.hp <= C.MAX_HP else C.MAX_HP
    player = player_at(p.row, p.col, hp=hp, credits=p.credits, energy=p.energy, data_siphons=p.data_siphons,
                       attack_damage=p.attack_damage, score=p.score)  # fmt: skip
    board = Board(
        **{name: jnp.asarray(array) for name, array in cells.items()},
        question=jnp.zeros((C.BOARD_SIZE, C.BOARD_SIZE), bool),
        siphon_center=jnp.zeros((C.BOARD_SIZE, C.BOARD_SIZE), bool),
    )
    return initial_state(player)._replace(
        board=board, enemies=enemies, transmissions=transmissions, owned=jnp.asarray(owned),
        stage=jnp.asarray(scenario.stage, jnp.int32), turn=jnp.asarray(scenario.turn, jnp.int32),
        show=jnp.asarray(scenario.show), calm=jnp.asarray(scenario.calm),
        exit_row=jnp.asarray(EXIT_CELL[0], jnp.int32), exit_col=jnp.asarray(EXIT_CELL[1], jnp.int32),
        next_order=jnp.asarray(len(scenario.enemies) + len(scenario.transmissions), jnp.int32),
    )  # fmt: skip


def _in_list_order(alive: np.ndarray, order: np.ndarray) -> list[int]:
    slots = np.flatnonzero(alive)
    return [int(s) for s in slots[np.argsort(order[slots], kind="stable")]]


def describe(state: GameState) -> dict[str, Any]:
    """A single (unbatched) state as plain Python values, for tests and debugging.

    Entities are listed in list order; cells (blocks, resources, pickups, flags) in row-major order. Entries carry
    the fields of the matching spec (``EnemySpec``, ``BlockSpec``, ``ResourceSpec``...) plus the state's own: an
    enemy's ``disabled_turns``, a block's ``question`` (shown with its hidden content); a data-siphon pickup is a
    resource entry with ``data_siphon=True``, as in a scenario.
    """
    s = jax.device_get(state)
    b, e, t = s.board, s.enemies, s.transmissions
    cells = [(r, c) for r in range(C.BOARD_SIZE) for c in range(C.BOARD_SIZE)]
    pickup = b.content == C.CONTENT_PICKUP
    blocks = [
        dict(row=r, col=c, kind="data" if b.block_kind[r, c] == C.BLOCK_DATA else "program",
             points=int(b.points[r, c]), spawn_count=int(b.spawn[r, c]), siphoned=bool(b.siphoned[r, c]),
             program=C.PROGRAM_NAMES[b.program[r, c]] if b.block_kind[r, c] == C.BLOCK_PROGRAM else None,
             question=bool(b.question[r, c]))
        for r, c in cells if b.content[r, c] == C.CONTENT_BLOCK
    ]  # fmt: skip
    return dict(
        player={name: int(value) for name, value in s.player._asdict().items()},
        enemies=[
            dict(kind=C.ENEMY_NAMES[e.kind[i]], row=int(e.row[i]), col=int(e.col[i]), hp=int(e.hp[i]),
                 disabled_turns=int(e.disabled[i]), stunned=bool(e.stunned[i]), from_siphon=bool(e.from_siphon[i]),
                 from_scheduled=bool(e.from_scheduled[i]))
            for i in _in_list_order(e.alive, e.order)
        ],
        transmissions=[
            dict(row=int(t.row[i]), col=int(t.col[i]), countdown=int(t.countdown[i]), kind=C.ENEMY_NAMES[t.kind[i]],
                 from_siphon=bool(t.from_siphon[i]), from_scheduled=bool(t.from_scheduled[i]))
            for i in _in_list_order(t.alive, t.order)
        ],
        blocks=blocks,
        resources=[dict(row=r, col=c, credits=int(b.credits[r, c]), energy=int(b.energy[r, c]),
                        data_siphon=bool(pickup[r, c]))
                   for r, c in cells if b.credits[r, c] > 0 or b.energy[r, c] > 0 or pickup[r, c]],
        pickups=[(r, c) for r, c in cells if pickup[r, c]],
        exit_cells=[(r, c) for r, c in cells if b.content[r, c] == C.CONTENT_EXIT],
        siphoned_cells=[(r, c) for r, c in cells if b.siphoned[r, c]],
        siphon_centers=[(r, c) for r, c in cells if b.siphon_center[r, c]],
        owned_programs=[C.PROGRAM_NAMES[i] for i in np.flatnonzero(s.owned)],
        stage=int(s.stage), turn=int(s.turn), sched_interval=int(s.sched_interval), sched_next=int(s.sched_next),
        pending_siphon=int(s.pending_siphon), show=bool(s.show), calm=bool(s.calm), step=bool(s.step_pending),
        atk_plus_uses=int(s.atk_plus_uses), exit_position=(int(s.exit_row), int(s.exit_col)),
        history_count=int(s.history.count),
        reward_totals={name: float(s.reward_totals[i]) for i, name in enumerate(C.REWARD_COMPONENTS)},
    )  # fmt: skip
