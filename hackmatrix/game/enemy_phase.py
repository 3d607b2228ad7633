"""The enemy phase (§5.2, with STEP §5.4 and scheduled tasks §5.5).

Enemy actions are the costly part: enemies act one at a time and each move is a breadth-first search that sees the
positions left by the enemies before it. Only enemies that can act are visited. Each (sub-step, enemy) pair that
may act gets a sort key ``sub-step | random 24 bits | slot``; a ``while_loop`` takes the smallest remaining key
each iteration, so sub-step 0 runs before sub-step 1 (which only holds enemies with two steps, i.e. viruses), each
in a uniformly random order. A uniformly random permutation of all enemies restricted to the ones that act is a
uniformly random order of those, so this is the rule's distribution (up to ties of the 24 random bits, broken by
slot, probability below 1e-5 per phase). Under ``vmap`` the loop runs as often as the busiest board needs; its
carry is a few small arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, PRNGKeyArray

from hackmatrix.game import bitboard, entities, history, pathfinding, placement, random_stream
from hackmatrix.game import constants as C
from hackmatrix.game.random_stream import RandomStream
from hackmatrix.game.state import Enemies, GameState

_SLOT_BITS = 6  # enough for MAX_ENEMIES slots
_SLOT_MASK = (1 << _SLOT_BITS) - 1
_CELL_MASK = (1 << 6) - 1  # enough for the 36 cell indices
_ATTACKED_BIT, _GLITCH_BIT = 6, 7
_RANDOM_BITS = 24
_NOT_ACTING = (1 << 31) - 1
assert C.MAX_ENEMIES <= 1 << _SLOT_BITS and int(C.ENEMY_STEPS.max()) <= 2  # sub-step fits in the sign-free top bit


def _mature_transmissions(state: GameState, runs: Bool[Array, ""]) -> GameState:
    """§5.2 step 3: transmissions with countdown <= 1 become enemies (appended in list order, disabled this phase,
    origin flags copied; dropped if the enemy list is full); every other countdown decreases by 1."""
    t, e = state.transmissions, state.enemies
    matures = runs & t.alive & (t.countdown <= 1)
    rank = (matures[None, :] & (t.order[None, :] < t.order[:, None])).sum(1)  # place among maturing, list order
    # Appending one at a time fills the lowest free slot each time: the k-th free slot gets the k-th new enemy.
    free = ~e.alive
    free_rank = jnp.cumsum(free) - 1
    match = free[:, None] & matures[None, :] & (free_rank[:, None] == rank[None, :])
    source = (match * (jnp.arange(C.MAX_TRANSMISSIONS) + 1)).sum(1) - 1  # transmission slot, -1 for none
    created = source >= 0

    def take(old, new):
        return jnp.where(created, new, old)

    kind = t.kind[source]
    enemies = Enemies(
        alive=e.alive | created, kind=take(e.kind, kind), row=take(e.row, t.row[source]),
        col=take(e.col, t.col[source]), hp=take(e.hp, jnp.asarray(C.ENEMY_MAX_HP)[kind]),
        disabled=take(e.disabled, 1), stunned=take(e.stunned, False),
        from_siphon=take(e.from_siphon, t.from_siphon[source]),
        from_scheduled=take(e.from_scheduled, t.from_scheduled[source]),
        order=take(e.order, state.next_order + rank[source]),
    )  # fmt: skip
    alive = t.alive & ~matures
    transmissions = t._replace(alive=alive, countdown=jnp.where(runs & alive, t.countdown - 1, t.countdown))
    return state._replace(
        enemies=enemies, transmissions=transmissions, next_order=state.next_order + created.sum(dtype=jnp.int32)
    )


def _enemy_actions(state: GameState, runs: Bool[Array, ""], *, stream: RandomStream) -> GameState:
    """§5.2 step 4: attacks (player hp -1, at most once per enemy and phase) and moves (§5.3)."""
    e, p = state.enemies, state.player
    ready = runs & e.alive & (e.disabled == 0) & ~e.stunned
    steps = jnp.asarray(C.ENEMY_STEPS)[e.kind]
    sub_steps = range(int(C.ENEMY_STEPS.max()))
    slot = jnp.arange(C.MAX_ENEMIES, dtype=jnp.int32)
    shuffle = (random_stream.bits(stream, 0, (len(sub_steps), C.MAX_ENEMIES)) >> (32 - _RANDOM_BITS)).astype(jnp.int32)
    keys = jnp.concatenate([
        jnp.where(ready & (steps > k), (k << (_RANDOM_BITS + _SLOT_BITS)) | (shuffle[k] << _SLOT_BITS) | slot, _NOT_ACTING)
        for k in sub_steps
    ])  # fmt: skip
    count = (keys != _NOT_ACTING).sum(dtype=jnp.int32)

    blocks = pathfinding.block_cells(state.board)
    transmission_cells = bitboard.from_grid(entities.transmission_grid(state.transmissions))
    player = bitboard.cell(p.row, p.col).keep_if(runs)
    first_steps_through_occupants = pathfinding.first_steps(player & ~blocks, ~blocks)
    # Per slot, one int holding the enemy's cell, whether it has attacked and whether it is a glitch, so that one
    # reduction fetches all three.
    cell = entities.cell_index(e.row, e.col)
    slot_state = cell | (e.kind == C.GLITCH).astype(jnp.int32) << _GLITCH_BIT

    def act(carry):
        i, keys, slot_state, hp, enemy_cells = carry
        first = keys.min()
        keys = jnp.where(keys == first, _NOT_ACTING, keys)
        this = slot == (first & _SLOT_MASK)
        fetched = jnp.where(this, slot_state, 0).sum()
        r, c = (fetched & _CELL_MASK) // C.BOARD_SIZE, (fetched & _CELL_MASK) % C.BOARD_SIZE
        acts = (i < count) & (fetched & (1 << _ATTACKED_BIT) == 0)
        adjacent = jnp.abs(r - p.row) + jnp.abs(c - p.col) == 1
        attacks = acts & adjacent
        new_r, new_c = pathfinding.enemy_step(
            row=r, col=c, glitch=fetched & (1 << _GLITCH_BIT) != 0, moving=acts & ~adjacent, player_row=p.row,
            player_col=p.col, blocks=blocks, occupied=enemy_cells | transmission_cells,
            first_steps_through_occupants=first_steps_through_occupants,
        )  # fmt: skip
        stored = (fetched & ~_CELL_MASK) | entities.cell_index(new_r, new_c) | (attacks.astype(jnp.int32) << _ATTACKED_BIT)
        # Computed once per board here, not once per slot in the update below (XLA would fuse and repeat it).
        stored = jax.lax.optimization_barrier(stored)
        slot_state = jnp.where(this, stored, slot_state)
        moved = (new_r != r) | (new_c != c)
        stacked = (e.alive & ~this & (slot_state & _CELL_MASK == fetched & _CELL_MASK)).any()  # another enemy stays on the old cell
        left = bitboard.cell(r, c).keep_if(moved & ~stacked)
        enemy_cells = (enemy_cells & ~left) | bitboard.cell(new_r, new_c).keep_if(moved)
        return i + 1, keys, slot_state, jnp.where(attacks, jnp.maximum(hp - 1, 0), hp), enemy_cells

    start = (jnp.int32(0), keys, slot_state, p.hp, bitboard.from_grid(entities.enemy_grid(e)))
    _, _, slot_state, hp, _ = jax.lax.while_loop(lambda carry: carry[0] < count, act, start)
    cell = slot_state & _CELL_MASK
    return state._replace(
        enemies=e._replace(row=cell // C.BOARD_SIZE, col=cell % C.BOARD_SIZE), player=p._replace(hp=hp)
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
