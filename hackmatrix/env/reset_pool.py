"""Batched auto-reset from a pool of pre-computed fresh episodes: exact, and far cheaper than resetting per step.

A per-environment auto-reset (:class:`~hackmatrix.env.autoreset.AutoReset`) computes a reset for every
environment at every step under ``vmap``, though only a few episodes end. Here a pool holds ``size`` fresh
episodes; each environment whose episode ends takes the next unused one, in environment order. When a step needs
more than the pool has left, the pool is refilled first, under a scalar ``lax.cond`` that costs only when it
happens (a pool starts empty, so the reset code is compiled once, inside that branch). Every episode thus starts
from its own independent reset, as with per-step resets.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from hackmatrix.env.protocol import Environment


class ResetPool(NamedTuple):
    """``size`` fresh episodes (leading axis of ``states`` / ``obs``); the first ``used`` are taken."""

    states: Any
    obs: Any
    used: Int[Array, ""]


def fill_reset_pool(env: Environment, size: int, *, key: PRNGKeyArray) -> ResetPool:
    states, obs = jax.vmap(env.reset)(jax.random.split(key, size))
    return ResetPool(states=states, obs=obs, used=jnp.zeros((), jnp.int32))


def empty_reset_pool(states: Any, obs: Any) -> ResetPool:
    """A pool of as many episodes as the batch ``(states, obs)`` has, every entry used (zero-filled): the first step
    that ends an episode fills it. Shaped after the batch, so that making one traces no reset."""
    pool = jax.tree.map(jnp.zeros_like, (states, obs))
    return ResetPool(states=pool[0], obs=pool[1], used=jnp.int32(jax.tree.leaves(obs)[0].shape[0]))


def step_with_reset_pool(
    env: Environment, states: Any, actions: Int[Array, " envs"], pool: ResetPool, *, key: PRNGKeyArray
) -> tuple[Any, Any, Float[Array, " envs"], Bool[Array, " envs"], dict[str, Any], ResetPool]:
    """Steps every environment; finished ones continue from fresh episodes of the pool.

    Returns ``(states, obs, reward, done, info, pool)``: reward, done and info describe the step taken, while the
    states and observations of finished environments already belong to their next episode. The pool must hold at
    least as many episodes as there are environments.
    """
    num_envs = actions.shape[0]
    size = jax.tree.leaves(pool.obs)[0].shape[0]
    if size < num_envs:
        raise ValueError(f"the reset pool must hold at least num_envs (= {num_envs}) episodes; got {size}")
    step_key, refill_key = jax.random.split(key)
    states, obs, reward, done, info = jax.vmap(env.step)(states, actions, jax.random.split(step_key, num_envs))
    num_done = done.sum(dtype=jnp.int32)
    pool = jax.lax.cond(
        pool.used + num_done > size, lambda: fill_reset_pool(env, size, key=refill_key), lambda: pool
    )
    # The k-th finished environment (in env order) takes pool entry used + k: each taken entry is scattered onto
    # its environment and the others are dropped, so only the finished environments' rows are written.
    entry = jnp.where(done, pool.used + jnp.cumsum(done) - 1, size)
    destination = jnp.full((size,), num_envs, jnp.int32).at[entry].set(jnp.arange(num_envs), mode="drop")
    states, obs = jax.tree.map(
        lambda old, fresh: old.at[destination].set(fresh, mode="drop"), (states, obs), (pool.states, pool.obs)
    )
    return states, obs, reward, done, info, pool._replace(used=pool.used + num_done)
