"""The enemy phase (§5.2, with STEP §5.4 and scheduled tasks §5.5).

Enemy actions are the costly part: enemies act one at a time and each move is a breadth-first search that sees the
positions left by the enemies before it. Ready enemies next to the player attack at once (their turn cannot change
that); the others are visited by a ``while_loop`` that draws, each iteration, uniformly among the enemies still to
act in the current sub-step, which is the rule's uniformly random order. Under ``vmap`` the loop runs as often as
the busiest board needs, and every iteration touches single slots only.

Everything is gated by the ``where`` flag field by field, so a batched step passes its per-board condition.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, PRNGKeyArray

from hackmatrix.game import bitboard, entities, history, pathfinding, placement, random_stream, slot_set
from hackmatrix.game import constants as C
from hackmatrix.game.neighbourhood import manhattan
from hackmatrix.game.random_stream import RandomStream
from hackmatrix.game.state import Enemies, GameState

assert int(C.ENEMY_STEPS.max()) == 2  # sub-steps 0 and 1


def _mature_transmissions(state: GameState, runs: Bool[Array, ""]) -> GameState:
    """§5.2 step 3: transmissions with countdown <= 1 become enemies (appended in list order, disabled this phase,
    origin flags copied; dropped if the enemy list is full); every other countdown decreases by 1."""
    t, e = state.transmissions, state.enemies
    matures = runs & t.alive & (t.countdown <= 1)
    # Place among the maturing in list order; a sum of 36 comparisons, which XLA runs far faster than the
    # equivalent reduction over a (36, 36) matrix.
    key = jnp.where(matures, t.order, jnp.iinfo(jnp.int32).max)
    rank = sum((key[other] < key).astype(jnp.int32) for other in range(C.MAX_TRANSMISSIONS))
    # Appending one at a time fills the lowest free slot each time: the k-th free slot gets the k-th new enemy.
    free_slots = slot_set.of(~e.alive)
    created = matures & (rank < free_slots.size())
    slot = jnp.where(created, free_slots.nth(jnp.minimum(rank, C.MAX_ENEMIES - 1)), C.MAX_ENEMIES)  # else dropped
    new = Enemies(
        alive=jnp.ones_like(t.alive), kind=t.kind, row=t.row, col=t.col, hp=jnp.asarray(C.ENEMY_MAX_HP)[t.kind],
        disabled=jnp.ones_like(t.kind), stunned=jnp.zeros_like(t.alive), from_siphon=t.from_siphon,
        from_scheduled=t.from_scheduled, order=state.next_order + rank,
    )  # fmt: skip
    enemies = jax.tree.map(lambda old, value: old.at[slot].set(value, mode="drop"), e, new)
    alive = t.alive & ~matures
    transmissions = t._replace(alive=alive, countdown=jnp.where(runs & alive, t.countdown - 1, t.countdown))
    return state._replace(
        enemies=enemies, transmissions=transmissions, next_order=state.next_order + created.sum(dtype=jnp.int32)
    )


def _enemy_actions(state: GameState, runs: Bool[Array, ""], *, stream: RandomStream) -> GameState:
    """§5.2 step 4: attacks (player hp -1, at most once per enemy and phase) and moves (§5.3).

    An enemy next to the player when the phase starts stays there until its turn (only its own moves move it), so
    every such ready enemy attacks in sub-step 0 whatever the order, and never acts again this phase: those attacks
    are counted at once. The other ready enemies move in sub-step 0, one at a time in a uniformly random order
    (each iteration draws uniformly among those still to act); then the viruses among them act again in a fresh
    random order, attacking if their move brought them next to the player, so none attacks twice.

    The loop touches single slots only (gathers, scatters and scalar work per board): any operation over all slots
    inside it costs as much as the rest of an iteration.
    """
    e, p = state.enemies, state.player
    ready = runs & e.alive & (e.disabled == 0) & ~e.stunned
    adjacent = manhattan(e.row, e.col, p.row, p.col) == 1
    hp = jnp.maximum(p.hp - (ready & adjacent).sum(dtype=jnp.int32), 0)
    movers = ready & ~adjacent
    sub_steps = (slot_set.of(movers), slot_set.of(movers & (jnp.asarray(C.ENEMY_STEPS)[e.kind] > 1)))
    glitches = slot_set.of(e.kind == C.GLITCH)

    blocks = pathfinding.block_cells(state.board)
    t = state.transmissions
    transmission_cells = bitboard.of_entities(t.alive, t.row, t.col)
    player = bitboard.cell(p.row, p.col).keep_if(runs)
    first_steps_through_occupants = pathfinding.first_steps(player & ~blocks, ~blocks)
    cells = entities.cell_index(e.row, e.col)
    # Enemies per cell: a cell an enemy leaves stays occupied if others are stacked on it (PUSH/PULL).
    stack = jnp.zeros(C.NUM_CELLS, jnp.int32).at[jnp.where(e.alive, cells, C.NUM_CELLS)].add(1, mode="drop")

    def act(carry):
        turn, first_left, second_left, cells, stack, enemy_cells, hp = carry
        in_first = first_left.size() > 0
        left = slot_set.choose(in_first, first_left, second_left)
        acts = left.size() > 0
        slot = left.nth(random_stream.below(stream, turn, jnp.maximum(left.size(), 1)))
        first_left = slot_set.choose(in_first, first_left.without(slot), first_left)
        second_left = slot_set.choose(in_first, second_left, second_left.without(slot))
        cell = cells[slot]
        attacks = acts & (manhattan(cell // C.BOARD_SIZE, cell % C.BOARD_SIZE, p.row, p.col) == 1)
        new_cell = pathfinding.enemy_step(
            cell=cell, glitch=glitches.contains(slot), moving=acts & ~attacks, player_row=p.row, player_col=p.col,
            blocks=blocks, occupied=enemy_cells | transmission_cells,
            first_steps_through_occupants=first_steps_through_occupants,
        )  # fmt: skip
        moved = (new_cell != cell).astype(jnp.int32)
        cells = cells.at[slot].set(new_cell, mode="drop")
        stack = stack.at[cell].add(-moved).at[new_cell].add(moved)
        vacated = bitboard.at_index(cell).keep_if((moved == 1) & (stack[cell] == 0))
        enemy_cells = (enemy_cells & ~vacated) | bitboard.at_index(new_cell).keep_if(moved == 1)
        hp = jnp.where(attacks, jnp.maximum(hp - 1, 0), hp)
        return turn + 1, first_left, second_left, cells, stack, enemy_cells, hp

    start = (jnp.int32(0), *sub_steps, cells, stack, bitboard.of_entities(e.alive, e.row, e.col), hp)
    _, _, _, cells, _, _, hp = jax.lax.while_loop(
        lambda carry: (carry[1].size() + carry[2].size()) > 0, act, start
    )
    return state._replace(
        enemies=e._replace(row=cells // C.BOARD_SIZE, col=cells % C.BOARD_SIZE), player=p._replace(hp=hp)
    )


def _new_transmissions(state: GameState, runs: Bool[Array, ""], *, stream: RandomStream) -> GameState:
    """§5.2 steps 5-6: the scheduled task's transmission (§5.5, unless CALM), then the ones owed from siphoning."""
    scheduled = runs & ~state.calm & (state.turn >= state.sched_next)
    owed = jnp.where(runs, state.pending_siphon, 0)
    state = placement.place_transmissions(
        state, stream=stream, count=scheduled + owed, first_scheduled=scheduled, from_siphon=True
    )
    return state._replace(
        sched_next=jnp.where(scheduled, state.turn + state.sched_interval, state.sched_next),
        pending_siphon=state.pending_siphon - owed,
    )


def _reset_status(state: GameState, runs: Bool[Array, ""]) -> GameState:
    """§5.2 step 7: disabled counters count down and stuns end."""
    e = state.enemies
    return state._replace(
        enemies=e._replace(
            disabled=jnp.where(runs, jnp.maximum(e.disabled - 1, 0), e.disabled), stunned=e.stunned & ~runs
        )
    )


def run_enemy_phase(
    state: GameState, *, key: PRNGKeyArray, where: bool | Bool[Array, ""] = True
) -> GameState:
    """One enemy phase (§5.2 steps 1-8) where ``where`` holds; elsewhere the state is returned unchanged.

    If STEP is pending the phase only clears the flag (§5.4). The gate is applied field by field inside (the UNDO
    history in particular is never selected as a whole), so a batched caller should pass its per-board condition
    here instead of selecting between the state before and after.
    """
    requested = jnp.asarray(where)
    runs = requested & ~state.step_pending
    stream = random_stream.from_key(key)
    state = state._replace(step_pending=state.step_pending & ~requested, turn=state.turn + runs.astype(jnp.int32))
    state = _mature_transmissions(state, runs)
    state = _enemy_actions(state, runs, stream=random_stream.substream(stream, 0))
    state = _new_transmissions(state, runs, stream=random_stream.substream(stream, 1))
    state = _reset_status(state, runs)
    return history.push_snapshot(state, where=runs)
