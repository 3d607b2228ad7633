"""Per-environment episode return and length accumulators with fixed shapes (no boolean indexing, no recompiles)."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int


class EpisodeStatistics(NamedTuple):
    """Running totals of the current episode of each environment, env axis first."""

    episode_return: Float[Array, " envs"]
    episode_length: Int[Array, " envs"]


class CompletedEpisodes(NamedTuple):
    """Return and length of the episodes that ended in this step; meaningful only where ``done``."""

    done: Bool[Array, " envs"]
    episode_return: Float[Array, " envs"]
    episode_length: Int[Array, " envs"]


def init_episode_statistics(num_envs: int) -> EpisodeStatistics:
    return EpisodeStatistics(
        episode_return=jnp.zeros((num_envs,), jnp.float32), episode_length=jnp.zeros((num_envs,), jnp.int32)
    )


def update_episode_statistics(
    stats: EpisodeStatistics, reward: Float[Array, " envs"], done: Bool[Array, " envs"]
) -> tuple[EpisodeStatistics, CompletedEpisodes]:
    """Adds one step; environments whose episode ended start again from zero."""
    episode_return = stats.episode_return + reward
    episode_length = stats.episode_length + 1
    completed = CompletedEpisodes(done=done, episode_return=episode_return, episode_length=episode_length)
    running = EpisodeStatistics(
        episode_return=jnp.where(done, 0.0, episode_return), episode_length=jnp.where(done, 0, episode_length)
    )
    return running, completed
