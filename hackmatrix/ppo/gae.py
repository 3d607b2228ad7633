"""Generalised advantage estimation over a rollout (time axis first)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float


def generalized_advantages(
    rewards: Float[Array, "steps envs"],
    values: Float[Array, "steps envs"],
    dones: Bool[Array, "steps envs"],
    last_value: Float[Array, " envs"],
    gamma: float,
    gae_lambda: float,
) -> tuple[Float[Array, "steps envs"], Float[Array, "steps envs"]]:
    """Returns ``(advantages, returns)``. ``dones[t]`` means step ``t`` ended its episode: no bootstrapping past it
    (the next observation already belongs to a new episode)."""
    continues = 1.0 - dones.astype(values.dtype)
    next_values = jnp.concatenate([values[1:], last_value[None]], axis=0)
    deltas = rewards + gamma * next_values * continues - values

    def backwards(advantage: Float[Array, " envs"], step: tuple[Array, Array]) -> tuple[Array, Array]:
        delta, cont = step
        advantage = delta + gamma * gae_lambda * cont * advantage
        return advantage, advantage

    _, advantages = jax.lax.scan(backwards, jnp.zeros_like(last_value), (deltas, continues), reverse=True)
    return advantages, advantages + values
