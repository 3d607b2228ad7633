"""One PPO update: collect a rollout, estimate advantages, then several epochs of minibatch gradient steps."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float, Int, PRNGKeyArray

from hackmatrix.env.protocol import Environment
from hackmatrix.ppo.config import PPOConfig
from hackmatrix.ppo.gae import generalized_advantages
from hackmatrix.ppo.loss import Batch
from hackmatrix.ppo.network import ActorCritic
from hackmatrix.ppo.rollout import EnvCarry, collect_rollout
from hackmatrix.ppo.train_state import PPOState

#: ``loss(model, minibatch) -> (total_loss, parts)``; every entry of ``parts`` is averaged into the update metrics.
LossFunction = Callable[[ActorCritic, Batch], tuple[Float[Array, ""], dict[str, Float[Array, ""]]]]


def ppo_update(
    state: PPOState,
    *,
    env: Environment,
    config: PPOConfig,
    optimizer: optax.GradientTransformation,
    loss: LossFunction,
) -> tuple[PPOState, dict[str, Float[Array, ""]]]:
    """A pure function of ``state`` (its key, counters and optimiser state included) and the static arguments."""
    key = jax.random.wrap_key_data(state.key)
    key, rollout_key, epochs_key = jax.random.split(key, 3)
    env_carry = EnvCarry(state.env_state, state.obs, state.episode_statistics, state.env_steps)
    env_carry, transitions, rollout_metrics = collect_rollout(
        state.params, env, env_carry, config.num_steps, key=rollout_key
    )
    _, last_value = jax.vmap(state.params)(env_carry.obs.flat)
    advantage, target = generalized_advantages(
        transitions.reward, transitions.value, transitions.done, last_value, config.gamma, config.gae_lambda
    )
    batch = Batch(
        obs=transitions.obs,
        action_mask=transitions.action_mask,
        action=transitions.action,
        log_prob=transitions.log_prob,
        value=transitions.value,
        advantage=advantage,
        target=target,
    )
    batch = jax.tree.map(lambda x: x.reshape((config.batch_size,) + x.shape[2:]), batch)
    params, opt_state, loss_metrics = train_epochs(
        state.params, state.opt_state, batch, config=config, optimizer=optimizer, loss=loss, key=epochs_key
    )
    new_state = PPOState(
        params=params,
        opt_state=opt_state,
        env_state=env_carry.env_state,
        obs=env_carry.obs,
        episode_statistics=env_carry.episode_statistics,
        env_steps=env_carry.env_steps,
        key=jax.random.key_data(key),
        update=state.update + 1,
    )
    return new_state, loss_metrics | rollout_metrics


def train_epochs(
    params: ActorCritic,
    opt_state: optax.OptState,
    batch: Batch,
    *,
    config: PPOConfig,
    optimizer: optax.GradientTransformation,
    loss: LossFunction,
    key: PRNGKeyArray,
) -> tuple[ActorCritic, optax.OptState, dict[str, Float[Array, ""]]]:
    """``update_epochs`` passes over ``batch`` in ``num_minibatches`` shuffled minibatches; returns the new
    parameters and optimiser state and ``total_loss`` plus the loss parts, averaged over all minibatch steps."""
    grad_fn = jax.value_and_grad(loss, has_aux=True)

    def minibatch_step(
        carry: tuple[ActorCritic, optax.OptState], indices: Int[Array, " minibatch"]
    ) -> tuple[tuple[ActorCritic, optax.OptState], dict[str, Array]]:
        params, opt_state = carry
        minibatch = jax.tree.map(lambda x: x[indices], batch)
        (total_loss, parts), grads = grad_fn(params, minibatch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), {"total_loss": total_loss, **parts}

    def epoch(
        carry: tuple[ActorCritic, optax.OptState], epoch_key: PRNGKeyArray
    ) -> tuple[tuple[ActorCritic, optax.OptState], dict[str, Array]]:
        order = jax.random.permutation(epoch_key, config.batch_size)
        return jax.lax.scan(minibatch_step, carry, order.reshape(config.num_minibatches, config.minibatch_size))

    (params, opt_state), metrics = jax.lax.scan(
        epoch, (params, opt_state), jax.random.split(key, config.update_epochs)
    )
    return params, opt_state, jax.tree.map(jnp.mean, metrics)
