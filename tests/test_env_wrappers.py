"""Auto-reset, episode statistics and info flattening."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.env.autoreset import AutoReset
from hackmatrix.env.episode_statistics import init_episode_statistics, update_episode_statistics
from hackmatrix.env.info import flatten_info
from hackmatrix.env.reset_pool import empty_reset_pool, fill_reset_pool, step_with_reset_pool
from hackmatrix.env.tiny_corridor import ACTION_LEFT, ACTION_PICK_UP, ACTION_RIGHT, TinyCorridor


def test_autoreset_starts_a_new_episode_but_reports_the_final_step() -> None:
    env = TinyCorridor()
    wrapped = AutoReset(env)
    assert (wrapped.num_actions, wrapped.observation_size, wrapped.info_max_keys) == (
        env.num_actions,
        env.observation_size,
        env.info_max_keys,
    )
    state, _ = wrapped.reset(jax.random.key(0))
    step = jax.jit(wrapped.step)
    key = jax.random.key(1)
    for _ in range(env.length - 2):
        state, obs, reward, done, _ = step(state, jnp.int32(ACTION_RIGHT), key)
        assert not bool(done)
    state, obs, reward, done, info = step(state, jnp.int32(ACTION_RIGHT), key)
    assert bool(done) and float(info["reward"]["exit"]) == 1.0 and float(reward) > 0.5
    # The returned state is a fresh episode: back at the start, clock at zero, observation consistent with it.
    assert int(state.position) == 0 and int(state.time) == 0
    cells = np.arange(env.length)
    np.testing.assert_array_equal(obs.flat[: env.length], cells == 0)
    np.testing.assert_array_equal(obs.flat[env.length : 2 * env.length], cells == int(state.coin))


def test_autoreset_under_vmap_resets_only_finished_envs() -> None:
    wrapped = AutoReset(TinyCorridor())
    states, _ = jax.vmap(wrapped.reset)(jax.random.split(jax.random.key(0), 2))
    # Env 0 takes an invalid action (its episode ends), env 1 moves right.
    actions = jnp.array([ACTION_LEFT, ACTION_RIGHT], jnp.int32)
    states, _, _, done, _ = jax.vmap(wrapped.step)(states, actions, jax.random.split(jax.random.key(1), 2))
    np.testing.assert_array_equal(done, [True, False])
    np.testing.assert_array_equal(states.position, [0, 1])
    np.testing.assert_array_equal(states.time, [0, 1])


def test_episode_statistics_accumulate_and_restart_per_env() -> None:
    stats = init_episode_statistics(2)
    rewards = [jnp.array([1.0, 2.0]), jnp.array([0.5, 1.0]), jnp.array([3.0, 4.0])]
    dones = [jnp.array([False, False]), jnp.array([True, False]), jnp.array([False, True])]
    completed_returns, completed_lengths = [], []
    for reward, done in zip(rewards, dones, strict=True):
        stats, completed = update_episode_statistics(stats, reward, done)
        completed_returns += list(np.asarray(completed.episode_return)[np.asarray(completed.done)])
        completed_lengths += list(np.asarray(completed.episode_length)[np.asarray(completed.done)])
    assert completed_returns == [1.5, 7.0] and completed_lengths == [2, 3]
    np.testing.assert_array_equal(stats.episode_return, [3.0, 0.0])
    np.testing.assert_array_equal(stats.episode_length, [1, 0])


def test_flatten_info_joins_key_paths() -> None:
    info = {"reward": {"kills": jnp.float32(1), "stage": jnp.float32(2)}, "invalid_action": jnp.float32(0)}
    flat = flatten_info(info)
    assert set(flat) == {"reward/kills", "reward/stage", "invalid_action"}
    assert float(flat["reward/stage"]) == 2.0


def test_reset_pool_gives_each_finished_env_its_own_fresh_episode() -> None:
    env = TinyCorridor()
    num_envs, pool_size = 3, 3
    step = jax.jit(lambda s, a, p, k: step_with_reset_pool(env, s, a, p, key=k))
    pool = fill_reset_pool(env, pool_size, key=jax.random.key(5))
    states, _ = jax.vmap(env.reset)(jax.random.split(jax.random.key(0), num_envs))
    states = states._replace(time=jnp.array([3, 5, 7], jnp.int32))  # tell the envs apart from fresh ones
    # Envs 0 and 2 take an invalid action (episode over), env 1 moves right.
    actions = jnp.array([ACTION_LEFT, ACTION_RIGHT, ACTION_LEFT], jnp.int32)
    new_states, obs, _, done, _, new_pool = step(states, actions, pool, jax.random.key(1))
    np.testing.assert_array_equal(done, [True, False, True])
    assert int(new_pool.used) == 2
    # The finished envs took pool entries 0 and 1, in env order; env 1 kept its own state.
    np.testing.assert_array_equal(new_states.coin, [pool.states.coin[0], states.coin[1], pool.states.coin[1]])
    np.testing.assert_array_equal(new_states.time, [0, 6, 0])
    np.testing.assert_array_equal(obs.flat[0], pool.obs.flat[0])
    np.testing.assert_array_equal(obs.flat[2], pool.obs.flat[1])

    # Two finished envs but one entry left: the pool is refilled first, and they take its first two entries.
    newer_states, _, _, done, _, refilled = step(new_states, actions, new_pool, jax.random.key(2))
    assert int(refilled.used) == 2
    np.testing.assert_array_equal(np.asarray(newer_states.coin)[[0, 2]], refilled.states.coin[:2])
    np.testing.assert_array_equal(newer_states.time, [0, 7, 0])


def test_empty_reset_pool_is_filled_by_the_first_finished_episode() -> None:
    env = TinyCorridor()
    states, obs = jax.vmap(env.reset)(jax.random.split(jax.random.key(0), 2))
    pool = empty_reset_pool(states, obs)
    assert int(pool.used) == 2
    step = jax.jit(lambda s, a, p: step_with_reset_pool(env, s, a, p, key=jax.random.key(1)))
    moved, _, _, done, _, still_empty = step(states, jnp.array([ACTION_RIGHT, ACTION_RIGHT], jnp.int32), pool)
    assert not bool(done.any()) and int(still_empty.used) == 2  # nothing ended: no reset computed
    reset, obs, _, done, _, filled = step(moved, jnp.array([ACTION_RIGHT, ACTION_PICK_UP], jnp.int32), pool)
    assert int(filled.used) == int(done.sum()) >= 1
    first_done = int(np.argmax(done))
    np.testing.assert_array_equal(obs.flat[first_done], filled.obs.flat[0])
