"""GAE matches the textbook recursion, and does not bootstrap across episode ends."""

from __future__ import annotations

import jax
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hackmatrix.ppo.gae import generalized_advantages

STEPS, ENVS = 6, 3
gae = jax.jit(generalized_advantages, static_argnums=(4, 5))


def reference(rewards, values, dones, last_value, gamma, lam):
    advantages = np.zeros_like(rewards, dtype=np.float64)
    next_advantage = np.zeros(rewards.shape[1])
    for t in reversed(range(rewards.shape[0])):
        next_value = last_value if t == rewards.shape[0] - 1 else values[t + 1]
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * nonterminal - values[t]
        next_advantage = delta + gamma * lam * nonterminal * next_advantage
        advantages[t] = next_advantage
    return advantages, advantages + values


@given(
    seed=st.integers(0, 2**31 - 1),
    gamma=st.sampled_from([0.0, 0.9, 0.99, 1.0]),
    lam=st.sampled_from([0.0, 0.95, 1.0]),
)
def test_gae_matches_reference(seed: int, gamma: float, lam: float) -> None:
    rng = np.random.default_rng(seed)
    rewards = rng.normal(size=(STEPS, ENVS)).astype(np.float32)
    values = rng.normal(size=(STEPS, ENVS)).astype(np.float32)
    dones = rng.random((STEPS, ENVS)) < 0.3
    last_value = rng.normal(size=ENVS).astype(np.float32)
    advantages, returns = gae(rewards, values, dones, last_value, gamma, lam)
    expected_advantages, expected_returns = reference(rewards, values, dones, last_value, gamma, lam)
    np.testing.assert_allclose(advantages, expected_advantages, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(returns, expected_returns, rtol=1e-5, atol=1e-5)


def test_episode_end_cuts_the_return() -> None:
    rewards = np.zeros((STEPS, ENVS), np.float32)
    rewards[2] = 1.0
    values = np.zeros((STEPS, ENVS), np.float32)
    dones = np.zeros((STEPS, ENVS), bool)
    dones[1, 0] = True  # env 0's episode ends before the reward arrives
    advantages, _ = gae(rewards, values, dones, np.full(ENVS, 5.0, np.float32), 1.0, 1.0)
    advantages = np.asarray(advantages)
    assert advantages[0, 0] == 0.0 and advantages[1, 0] == 0.0  # nothing flows back across the episode end
    assert advantages[0, 1] == advantages[2, 1] == 6.0  # reward 1 plus the bootstrap value 5
