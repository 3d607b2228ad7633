"""Invariants of generated play: random seeds, masked-random (always valid) play for long episodes.

One jitted ``lax.scan`` of ``STEPS`` steps of ``vmap``-ed ``HackMatrix.step`` over ``NUM_ENVS`` games checks the
invariants at every step; an environment whose episode ended is frozen (its later steps are ignored). One of the
games is then replayed step by step with the unbatched step to show that batching changes nothing.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hackmatrix.game import constants as C
from hackmatrix.game.entities import count_grid
from hackmatrix.game.mask import action_mask
from hackmatrix.game.select import select_tree
from test_game_support import ENV, RESET, STEP

NUM_ENVS = 16
STEPS = 300
_CORNER = np.zeros((C.BOARD_SIZE, C.BOARD_SIZE), bool)
_CORNER[tuple(np.array(C.CORNERS).T)] = True
# §8: the stage after victory (8/7), data siphons and attack damage are not clipped.
_UNBOUNDED_FEATURES = np.isin(np.arange(C.NUM_PLAYER_FEATURES), [5, 6, 7])


def on_board(row, col):
    return (row >= 0) & (row < C.BOARD_SIZE) & (col >= 0) & (col < C.BOARD_SIZE)


def invariants(state, obs, reward, done, info, totals) -> dict[str, jax.Array]:
    """Each invariant of one environment after one step (True = holds)."""
    p, e, t, b = state.player, state.enemies, state.transmissions, state.board
    exit_cells = b.content == C.CONTENT_EXIT
    components = jnp.stack([info["reward"][name] for name in C.REWARD_COMPONENTS])
    return {
        "hp in 0-3": (p.hp >= 0) & (p.hp <= C.MAX_HP),
        "player on the board": on_board(p.row, p.col),
        "enemies on the board": jnp.all(~e.alive | on_board(e.row, e.col)),
        "transmissions on the board": jnp.all(~t.alive | on_board(t.row, t.col)),
        "no block on a corner": ~jnp.any((b.content == C.CONTENT_BLOCK) & _CORNER),
        "at most one transmission per cell": jnp.all(count_grid(t.alive, t.row, t.col) <= 1),
        "one exit, on a corner, at the exit position": (exit_cells.sum() == 1) & jnp.any(exit_cells & _CORNER)
        & exit_cells[state.exit_row, state.exit_col],
        "reward is the sum of its components": jnp.isclose(reward, components.sum(), rtol=1e-6, atol=1e-5),
        "reward totals are the sums of the components since reset": jnp.allclose(state.reward_totals, totals,
                                                                                  rtol=1e-5, atol=1e-4),
        "finite observation": jnp.all(jnp.isfinite(obs.flat)),
        "grid within [0, 1]": jnp.all((obs.grid >= 0) & (obs.grid <= 1)),
        "player features within [0, 1] (but stage after victory, siphons, attack)": jnp.all(
            (obs.player >= 0) & ((obs.player <= 1) | _UNBOUNDED_FEATURES)
        ),
        "enemy list never reaches its capacity": e.alive.sum() < C.MAX_ENEMIES,
        "at most 11 blocks and 3 pickups": ((b.content == C.CONTENT_BLOCK).sum() <= C.MAX_BLOCKS)
        & ((b.content == C.CONTENT_PICKUP).sum() <= 3),
        "counters never negative": (p.credits >= 0) & (p.energy >= 0) & (p.data_siphons >= 0) & (p.attack_damage >= 1)
        & (state.turn >= 0) & (state.pending_siphon >= 0),
        "stage in 1-9": (state.stage >= 1) & (state.stage <= C.VICTORY_STAGE),
        "done exactly on death or victory": done == ((p.hp == 0) | (state.stage == C.VICTORY_STAGE)),
        "valid actions left while not done": done | jnp.any(obs.action_mask),
        "observed mask is the state's mask": jnp.all(obs.action_mask == action_mask(state)),
        "no invalid action taken": info["invalid_action"] == 0.0,
    }  # fmt: skip


@jax.jit
def rollout(states, masks, key):
    """``STEPS`` masked-random steps of ``NUM_ENVS`` games; finished games stay frozen.

    Returns the final states, the per-step invariants ``{name: (STEPS, NUM_ENVS)}`` (True where an invariant holds
    or the game had already ended), the actions and step keys (for replaying), and each game's number of steps.
    """

    def one_step(carry, key):
        states, masks, totals, finished = carry
        action_key, step_key = jax.random.split(key)
        actions = jax.random.categorical(action_key, jnp.where(masks, 0.0, -jnp.inf))
        step_keys = jax.random.split(step_key, NUM_ENVS)
        new, obs, reward, done, info = jax.vmap(ENV.step)(states, actions, step_keys)
        components = jnp.stack([info["reward"][name] for name in C.REWARD_COMPONENTS], axis=-1)
        new_totals = totals + components
        holds = jax.vmap(invariants)(new, obs, reward, done, info, new_totals)
        holds = {name: value | finished for name, value in holds.items()}
        states = jax.vmap(select_tree)(finished, states, new)
        carry = (states, jnp.where(finished[:, None], masks, obs.action_mask),
                 jnp.where(finished[:, None], totals, new_totals), finished | done)  # fmt: skip
        return carry, (holds, actions, step_keys, ~finished)

    totals = jnp.zeros((NUM_ENVS, C.NUM_REWARD_COMPONENTS), jnp.float32)
    start = (states, masks, totals, jnp.zeros(NUM_ENVS, bool))
    (states, _, _, _), (holds, actions, step_keys, stepping) = jax.lax.scan(
        one_step, start, jax.random.split(key, STEPS)
    )
    return states, holds, actions, step_keys, stepping.sum(0)


def new_games(seed: int):
    """``NUM_ENVS`` fresh games from the unbatched (shared, compiled once) reset, stacked."""
    games = [RESET(key) for key in jax.random.split(jax.random.key(seed), NUM_ENVS)]
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *games)


@given(seed=st.integers(0, 2**31 - 1))
def test_invariants_hold_in_long_random_play_and_batching_changes_nothing(seed):
    states, obs = new_games(seed)
    final, holds, actions, step_keys, steps = rollout(states, obs.action_mask, jax.random.key(seed))
    for name, value in holds.items():
        failed = np.argwhere(~np.asarray(value))
        assert failed.size == 0, f"{name}: fails at (step, env) {failed[:5].tolist()}"
    assert np.asarray(steps).max() > 50  # the games are long enough to reach many situations

    env = seed % NUM_ENVS
    state = jax.tree.map(lambda leaf: leaf[env], states)
    for i in range(int(steps[env])):
        state, *_ = STEP(state, actions[i, env], step_keys[i, env])
    alone, batched = jax.device_get(state), jax.device_get(jax.tree.map(lambda leaf: leaf[env], final))
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6), alone, batched)
