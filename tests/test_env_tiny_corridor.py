"""The tiny corridor environment follows its rules and the environment protocol."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.env.tiny_corridor import ACTION_LEFT, ACTION_PICK_UP, ACTION_RIGHT, TinyCorridor

ENV = TinyCorridor()
reset = jax.jit(ENV.reset)
step = jax.jit(ENV.step)
KEY = jax.random.key(0)


def walk(actions: list[int], key=KEY):
    state, obs = reset(key)
    results = []
    for action in actions:
        state, obs, reward, done, info = step(state, jnp.int32(action), KEY)
        results.append((state, obs, float(reward), bool(done), info))
    return results


def test_reset_places_agent_at_start_and_coin_inside() -> None:
    coins = set()
    for i in range(30):
        state, obs = reset(jax.random.key(i))
        assert int(state.position) == 0 and int(state.time) == 0
        coins.add(int(state.coin))
        assert obs.flat.shape == (ENV.observation_size,)
        assert obs.action_mask.shape == (ENV.num_actions,)
    assert coins == set(range(1, ENV.length - 1))


def test_mask_forbids_left_at_start_and_pick_up_away_from_coin() -> None:
    state, obs = reset(KEY)
    mask = np.asarray(obs.action_mask)
    assert not mask[ACTION_LEFT] and mask[ACTION_RIGHT]
    assert mask[ACTION_PICK_UP] == (int(state.coin) == 0)


def test_collecting_the_coin_and_reaching_the_exit_pays_both() -> None:
    state, _ = reset(KEY)
    coin = int(state.coin)
    actions = [ACTION_RIGHT] * coin + [ACTION_PICK_UP] + [ACTION_RIGHT] * (ENV.length - 1 - coin)
    results = walk(actions)
    rewards = [r for _, _, r, _, _ in results]
    dones = [d for _, _, _, d, _ in results]
    assert dones == [False] * (len(actions) - 1) + [True]
    assert sum(rewards) == pytest.approx(2.0 - ENV.step_cost * len(actions))
    assert float(results[coin][4]["reward"]["coin"]) == 1.0
    assert float(results[-1][4]["reward"]["exit"]) == 1.0
    assert not np.asarray(results[coin][1].action_mask)[ACTION_PICK_UP]  # the coin is gone


def test_invalid_action_changes_nothing_pays_nothing_and_ends_the_episode() -> None:
    state, obs = reset(KEY)
    new_state, new_obs, reward, done, info = step(state, jnp.int32(ACTION_LEFT), KEY)
    assert bool(done) and float(reward) == 0.0 and float(info["invalid_action"]) == 1.0
    for before, after in zip(jax.tree.leaves((state, obs)), jax.tree.leaves((new_state, new_obs)), strict=True):
        np.testing.assert_array_equal(before, after)


def test_episode_ends_after_max_steps() -> None:
    dones = [d for _, _, _, d, _ in walk([ACTION_RIGHT, ACTION_LEFT] * ENV.max_steps)]
    assert dones.index(True) == ENV.max_steps - 1
