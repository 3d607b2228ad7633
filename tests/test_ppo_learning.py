"""PPO actually learns: on the tiny corridor the mean episode return climbs from a random policy's to near optimal."""

from __future__ import annotations

import numpy as np

import hackmatrix as hm

NUM_UPDATES = 20


def test_ppo_learns_the_tiny_corridor() -> None:
    env = hm.TinyCorridor()
    config = hm.PPOConfig(
        num_envs=16,
        num_steps=16,
        total_timesteps=16 * 16 * NUM_UPDATES,
        learning_rate=3e-3,
        num_minibatches=2,
        update_epochs=4,
        hidden_dim=32,
        num_layers=2,
        ent_coef=0.01,
        seed=0,
    )
    returns = hm.PPOTrainer(env, config, chunk_size=NUM_UPDATES).fit().metrics["mean_episode_return"]
    best_return = 2.0 - env.step_cost * env.length  # coin and exit by the shortest path
    threshold = best_return - 0.1
    assert returns[0] < threshold - 0.5  # the initial, near-uniform policy is far from it
    assert np.all(returns[-3:] >= threshold)
