"""The actor-critic network: a ReLU MLP trunk with a policy head and a value head, orthogonally initialised."""

from __future__ import annotations

import math
from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray


def orthogonal_linear(in_features: int, out_features: int, gain: float, *, key: PRNGKeyArray) -> eqx.nn.Linear:
    """A linear layer with an orthogonal weight scaled by ``gain`` and a zero bias (the usual PPO init)."""
    layer = eqx.nn.Linear(in_features, out_features, key=key)
    weight = jax.nn.initializers.orthogonal(scale=gain)(key, (out_features, in_features), jnp.float32)
    return eqx.tree_at(lambda m: (m.weight, m.bias), layer, (weight, jnp.zeros((out_features,), jnp.float32)))


def relu_mlp(in_features: int, hidden_dim: int, num_layers: int, *, key: PRNGKeyArray) -> tuple[eqx.nn.Linear, ...]:
    keys = jax.random.split(key, num_layers)
    widths = [in_features] + [hidden_dim] * num_layers
    return tuple(
        orthogonal_linear(widths[i], widths[i + 1], math.sqrt(2.0), key=keys[i]) for i in range(num_layers)
    )


def apply_relu_mlp(layers: tuple[eqx.nn.Linear, ...], x: Float[Array, " in"]) -> Float[Array, " hidden"]:
    for layer in layers:
        x = jax.nn.relu(layer(x))
    return x


@final
class ActorCritic(eqx.Module):
    """Maps one observation vector to action logits and a state value.

    Every leaf is an array (the activation is fixed), so the module is a plain pytree of parameters that can be a
    ``lax.scan`` carry, an optax target and a checkpoint leaf. With ``critic`` set, the value head has its own trunk.
    """

    trunk: tuple[eqx.nn.Linear, ...]
    critic: tuple[eqx.nn.Linear, ...] | None
    policy_head: eqx.nn.Linear
    value_head: eqx.nn.Linear

    def __init__(
        self,
        observation_size: int,
        num_actions: int,
        hidden_dim: int,
        num_layers: int,
        separate_critic: bool = False,
        *,
        key: PRNGKeyArray,
    ):
        trunk_key, critic_key, policy_key, value_key = jax.random.split(key, 4)
        self.trunk = relu_mlp(observation_size, hidden_dim, num_layers, key=trunk_key)
        self.critic = relu_mlp(observation_size, hidden_dim, num_layers, key=critic_key) if separate_critic else None
        self.policy_head = orthogonal_linear(hidden_dim, num_actions, 0.01, key=policy_key)
        self.value_head = orthogonal_linear(hidden_dim, 1, 1.0, key=value_key)

    def __call__(self, obs: Float[Array, " obs"]) -> tuple[Float[Array, " actions"], Float[Array, ""]]:
        features = apply_relu_mlp(self.trunk, obs)
        value_features = features if self.critic is None else apply_relu_mlp(self.critic, obs)
        return self.policy_head(features), self.value_head(value_features)[0]
