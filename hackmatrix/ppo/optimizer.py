"""The PPO optimiser: global-norm clipping then Adam, with optional linear learning-rate annealing."""

from __future__ import annotations

import jax.numpy as jnp
import optax
from jaxtyping import Array, Float, Int

from hackmatrix.ppo.config import PPOConfig


def make_optimizer(config: PPOConfig) -> optax.GradientTransformation:
    """The learning rate falls linearly from ``learning_rate`` at the first update to ``learning_rate /
    num_updates`` at the last one. It is a function of the optimiser's own step count, which lives in the training
    state, so an update computes the same rate whether it runs inside a chunk, a single scan or after a resume.
    """
    steps_per_update = config.update_epochs * config.num_minibatches

    def annealed(count: Int[Array, ""]) -> Float[Array, ""]:
        updates_done = count // steps_per_update
        return config.learning_rate * (1.0 - updates_done / config.num_updates).astype(jnp.float32)

    learning_rate = annealed if config.anneal_lr else config.learning_rate
    return optax.chain(optax.clip_by_global_norm(config.max_grad_norm), optax.adam(learning_rate, eps=1e-5))
