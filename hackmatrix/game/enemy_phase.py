"""The enemy phase (§5.2, with STEP §5.4 and scheduled tasks §5.5).

Enemy actions are the costly part: enemies act one at a time and each move is a breadth-first search that sees the
positions left by the enemies before it. Only enemies that can act are visited: a random sort key per sub-step
puts the ready enemies of sub-step 0, then those of sub-step 1 (only enemies with two steps per phase, i.e.
viruses), in a schedule, and a ``while_loop`` walks that schedule. A uniformly random permutation of all enemies,
restricted to the ones that act, is a uniformly random order of those, so this is the rule's distribution (up to
ties of the 32-bit sort keys, probability < 1e-6 per phase). Under ``vmap`` the loop runs as often as the busiest
board needs and its carry is a few small arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int, PRNGKeyArray

from hackmatrix.game import constants as C
from hackmatrix.game import entities, history, pathfinding, placement
from hackmatrix.game.state import Enemies, GameState


def _mature_transmissions(state: GameState, runs: Bool[Array, ""]) -> GameState:
    """§5.2 step 3: transmissions with countdown <= 1 become enemies (appended in list order, disabled this phase,
    origin flags copied; dropped if the enemy list is full); every other countdown decreases by 1."""
    t, e = state.transmissions, state.enemies
    matures = runs & t.alive & (t.countdown <= 1)
    rank = entities.rank_in_order(matures, t.order)
    # Appending one at a time fills the lowest free slot each time: the k-th free slot gets the k-th new enemy.
    free = ~e.alive
    free_rank = jnp.cumsum(free) - 1
    match = free[:, None] & matures[None, :] & (free_rank[:, None] == rank[None, :])
    created = match.any(1)
    source = jnp.argmax(match, axis=1)

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


def _action_schedule(
    enemies: Enemies, runs: Bool[Array, ""], *, key: PRNGKeyArray
) -> tuple[Int[Array, " n"], Int[Array, ""]]:
    """(slots, count): the slots of the enemies that may act, in processing order over all sub-steps."""
    ready = runs & enemies.alive & (enemies.disabled == 0) & ~enemies.stunned
    steps = jnp.asarray(C.ENEMY_STEPS)[enemies.kind]
    sub_steps = range(int(C.ENEMY_STEPS.max()))
    acts = jnp.concatenate([ready & (steps > k) for k in sub_steps])
    sub_step = jnp.concatenate([jnp.full(C.MAX_ENEMIES, k, jnp.int32) for k in sub_steps])
    slot = jnp.tile(jnp.arange(C.MAX_ENEMIES, dtype=jnp.int32), len(sub_steps))
    shuffle = jax.random.bits(key, acts.shape, jnp.uint32)
    _, _, slots = jax.lax.sort((jnp.where(acts, sub_step, len(sub_steps)), shuffle, slot), num_keys=2)
    return slots, acts.sum(dtype=jnp.int32)


def _enemy_actions(state: GameState, runs: Bool[Array, ""], *, key: PRNGKeyArray) -> GameState:
    """§5.2 step 4: attacks (player hp -1, at most once per enemy and phase) and moves (§5.3)."""
    e, p = state.enemies, state.player
    slots, count = _action_schedule(e, runs, key=key)
    blocks = pathfinding.block_cells(state.board)
    transmission_cells = pathfinding.from_grid(entities.transmission_grid(state.transmissions))
    player = pathfinding.cell_bit(p.row, p.col, on=runs)
    distance_through_occupants = pathfinding.distance_grid(player & ~blocks, ~blocks)
    glitch = e.kind == C.GLITCH
    slot_ids = jnp.arange(C.MAX_ENEMIES)

    def act(carry):
        i, row, col, attacked, hp, enemy_cells = carry
        slot = slots[i]
        r, c = row[slot], col[slot]
        acts = (i < count) & ~attacked[slot]
        adjacent = jnp.abs(r - p.row) + jnp.abs(c - p.col) == 1
        attacks = acts & adjacent
        new_r, new_c = pathfinding.enemy_step(
            row=r, col=c, glitch=glitch[slot], moving=acts & ~adjacent, player_row=p.row, player_col=p.col,
            blocks=blocks, occupied=enemy_cells | transmission_cells,
            distance_through_occupants=distance_through_occupants,
        )  # fmt: skip
        moved = (new_r != r) | (new_c != c)
        this = slot_ids == slot
        row, col = jnp.where(this, new_r, row), jnp.where(this, new_c, col)
        stacked = (e.alive & (row == r) & (col == c)).any()  # another enemy still stands on the cell it left
        left = pathfinding.cell_bit(r, c, on=moved & ~stacked)
        enemy_cells = (enemy_cells & ~left) | pathfinding.cell_bit(new_r, new_c, on=moved)
        return (
            i + 1, row, col, attacked | (this & attacks), jnp.where(attacks, jnp.maximum(hp - 1, 0), hp), enemy_cells,
        )  # fmt: skip

    start = (
        jnp.int32(0), e.row, e.col, jnp.zeros(C.MAX_ENEMIES, bool), p.hp,
        pathfinding.from_grid(entities.enemy_grid(e)),
    )  # fmt: skip
    _, row, col, _, hp, _ = jax.lax.while_loop(lambda carry: carry[0] < count, act, start)
    return state._replace(enemies=e._replace(row=row, col=col), player=p._replace(hp=hp))


def _scheduled_task(state: GameState, runs: Bool[Array, ""], *, key: PRNGKeyArray) -> GameState:
    """§5.5 step 3: at most one scheduled transmission, unless CALM is on."""
    fires = runs & ~state.calm & (state.turn >= state.sched_next)
    state = placement.place_transmission(state, key=key, from_scheduled=True, create=fires)
    return state._replace(sched_next=jnp.where(fires, state.turn + state.sched_interval, state.sched_next))


def _siphon_transmissions(state: GameState, runs: Bool[Array, ""], *, key: PRNGKeyArray) -> GameState:
    """§5.2 step 6: the transmissions owed from siphoning."""
    owed = jnp.where(runs, state.pending_siphon, 0)
    state = placement.place_transmissions(state, key=key, count=owed, from_siphon=True)
    return state._replace(pending_siphon=state.pending_siphon - owed)


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
    key_order, key_scheduled, key_siphon = jax.random.split(key, 3)
    state = state._replace(step_pending=state.step_pending & ~requested, turn=state.turn + runs.astype(jnp.int32))
    state = _mature_transmissions(state, runs)
    state = _enemy_actions(state, runs, key=key_order)
    state = _scheduled_task(state, runs, key=key_scheduled)
    state = _siphon_transmissions(state, runs, key=key_siphon)
    state = _reset_status(state, runs)
    return history.push_snapshot(state, where=runs)

