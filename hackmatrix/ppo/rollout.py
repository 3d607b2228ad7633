"""Rollout collection: ``num_steps`` steps of every environment under the current policy, as one ``lax.scan``."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from hackmatrix.env.episode_statistics import EpisodeStatistics, update_episode_statistics
from hackmatrix.env.info import flatten_info
from hackmatrix.env.protocol import Environment
from hackmatrix.env.reset_pool import ResetPool, empty_reset_pool, step_with_reset_pool
from hackmatrix.ppo.masked_categorical import masked_log_probs, sample_masked
from hackmatrix.ppo.network import ActorCritic


class Transitions(NamedTuple):
    """What the update needs of each step, time axis first then env axis."""

    obs: Float[Array, "steps envs obs"]
    action_mask: Bool[Array, "steps envs actions"]
    action: Int[Array, "steps envs"]
    log_prob: Float[Array, "steps envs"]
    value: Float[Array, "steps envs"]
    reward: Float[Array, "steps envs"]
    done: Bool[Array, "steps envs"]


class EnvCarry(NamedTuple):
    """The per-environment part of the training state that a rollout advances (env axis first on every leaf)."""

    env_state: Any
    obs: Any
    episode_statistics: EpisodeStatistics
    env_steps: Int[Array, " envs"]


class StepTotals(NamedTuple):
    """Sums over the environments of one step."""

    reward: Float[Array, ""]
    episodes: Int[Array, ""]
    episode_return: Float[Array, ""]
    episode_length: Int[Array, ""]
    invalid_actions: Int[Array, ""]


def collect_rollout(
    model: ActorCritic, env: Environment, carry: EnvCarry, num_steps: int, *, key: PRNGKeyArray
) -> tuple[EnvCarry, Transitions, dict[str, Float[Array, ""]]]:
    """Finished episodes restart from a reset pool of ``num_envs`` fresh episodes (refilled when used up).

    Returns the advanced carry, the transitions and the rollout metrics: mean_reward, mean_episode_return and
    mean_episode_length (NaN when no episode ended), episodes_completed, invalid_action_rate, and the mean (max for
    ``env.info_max_keys``) over all steps of every leaf of the env's ``info``."""
    num_envs = carry.episode_statistics.episode_return.shape[0]
    info_max_keys = set(env.info_max_keys)

    def one_step(
        carry_and_pool: tuple[EnvCarry, ResetPool], step_key: PRNGKeyArray
    ) -> tuple[tuple[EnvCarry, ResetPool], tuple[Transitions, StepTotals, dict[str, Array]]]:
        carry, pool = carry_and_pool
        policy_key, env_key = jax.random.split(step_key)
        logits, value = jax.vmap(model)(carry.obs.flat)
        mask = carry.obs.action_mask
        action = sample_masked(logits, mask, key=policy_key)
        log_prob = jnp.take_along_axis(masked_log_probs(logits, mask), action[:, None], axis=-1)[:, 0]
        env_state, obs, reward, done, info, pool = step_with_reset_pool(
            env, carry.env_state, action, pool, key=env_key
        )
        episode_statistics, completed = update_episode_statistics(carry.episode_statistics, reward, done)
        transition = Transitions(carry.obs.flat, mask, action, log_prob, value, reward, done)
        # Reduced over envs right away, so the scan stacks scalars rather than (steps, envs) arrays.
        totals = StepTotals(
            reward=reward.sum(),
            episodes=completed.done.sum(dtype=jnp.int32),
            episode_return=jnp.where(completed.done, completed.episode_return, 0.0).sum(),
            episode_length=jnp.where(completed.done, completed.episode_length, 0).sum(dtype=jnp.int32),
            invalid_actions=(~jnp.take_along_axis(mask, action[:, None], axis=-1)[:, 0]).sum(dtype=jnp.int32),
        )
        info_totals = {
            name: (jnp.max if name in info_max_keys else jnp.sum)(leaf.astype(jnp.float32))
            for name, leaf in flatten_info(info).items()
        }
        new_carry = EnvCarry(env_state, obs, episode_statistics, carry.env_steps + 1)
        return (new_carry, pool), (transition, totals, info_totals)

    (carry, _), (transitions, totals, info_totals) = jax.lax.scan(
        one_step, (carry, empty_reset_pool(carry.env_state, carry.obs)), jax.random.split(key, num_steps)
    )
    num_transitions = num_steps * num_envs
    episodes = totals.episodes.sum()
    per_episode = jnp.where(episodes > 0, 1.0 / jnp.maximum(episodes, 1), jnp.nan)
    metrics = {
        "mean_reward": totals.reward.sum() / num_transitions,
        "mean_episode_return": totals.episode_return.sum() * per_episode,
        "mean_episode_length": totals.episode_length.sum() * per_episode,
        "episodes_completed": episodes.astype(jnp.float32),
        "invalid_action_rate": totals.invalid_actions.sum() / num_transitions,
    }
    clashes = metrics.keys() & info_totals.keys()
    if clashes:
        raise ValueError(f"info keys {sorted(clashes)} clash with built-in rollout metric names")
    metrics |= {
        name: jnp.max(total) if name in info_max_keys else total.sum() / num_transitions
        for name, total in info_totals.items()
    }
    return carry, transitions, metrics

