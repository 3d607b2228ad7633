"""The complete PPO training state: one pytree, everything a chunk of updates reads and writes.

Every per-environment leaf has the environment axis first (so the state can be sharded along it). The PRNG key
is stored as raw ``uint32`` key data: typed keys cannot be serialised.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Int, PRNGKeyArray, UInt32

from hackmatrix.env.episode_statistics import EpisodeStatistics, init_episode_statistics
from hackmatrix.env.protocol import Environment
from hackmatrix.ppo.config import PPOConfig
from hackmatrix.ppo.network import ActorCritic


class PPOState(NamedTuple):
    params: ActorCritic
    opt_state: optax.OptState
    env_state: Any  # the env's state, batched
    obs: Any  # the observations the next step acts on, batched
    episode_statistics: EpisodeStatistics
    env_steps: Int[Array, " envs"]  # steps taken by each environment (their sum is the run's env-step count)
    key: UInt32[Array, " _"]  # jax.random.key_data of the run's key
    update: Int[Array, ""]  # updates completed


def init_ppo_state(
    env: Environment, config: PPOConfig, optimizer: optax.GradientTransformation, *, key: PRNGKeyArray
) -> PPOState:
    model_key, reset_key, run_key = jax.random.split(key, 3)
    params = ActorCritic(
        env.observation_size,
        env.num_actions,
        config.hidden_dim,
        config.num_layers,
        config.separate_critic,
        key=model_key,
    )
    env_state, obs = jax.vmap(env.reset)(jax.random.split(reset_key, config.num_envs))
    return PPOState(
        params=params,
        opt_state=optimizer.init(params),
        env_state=env_state,
        obs=obs,
        episode_statistics=init_episode_statistics(config.num_envs),
        env_steps=jnp.zeros((config.num_envs,), jnp.int32),
        key=jax.random.key_data(run_key),
        update=jnp.zeros((), jnp.int32),
    )
