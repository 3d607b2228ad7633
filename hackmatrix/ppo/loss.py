"""The clipped PPO objective on one minibatch."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from hackmatrix.ppo.config import PPOConfig
from hackmatrix.ppo.masked_categorical import masked_entropy, masked_log_probs
from hackmatrix.ppo.network import ActorCritic


class Batch(NamedTuple):
    """Flattened transitions: what the loss needs of a rollout (the minibatch axis first)."""

    obs: Float[Array, "batch obs"]
    action_mask: Bool[Array, "batch actions"]
    action: Int[Array, " batch"]
    log_prob: Float[Array, " batch"]
    value: Float[Array, " batch"]
    advantage: Float[Array, " batch"]
    target: Float[Array, " batch"]  # the value target (GAE return)


def ppo_loss(
    model: ActorCritic, batch: Batch, config: PPOConfig
) -> tuple[Float[Array, ""], dict[str, Float[Array, ""]]]:
    """``(total_loss, parts)``: clipped policy loss + ``vf_coef`` * clipped value loss - ``ent_coef`` * entropy.

    Advantages are normalised per minibatch. ``parts`` holds pg_loss, vf_loss, entropy, approx_kl and clip_frac.
    """
    logits, value = jax.vmap(model)(batch.obs)
    log_probs = masked_log_probs(logits, batch.action_mask)
    log_prob = jnp.take_along_axis(log_probs, batch.action[:, None], axis=-1)[:, 0]
    entropy = masked_entropy(log_probs, batch.action_mask).mean()

    log_ratio = log_prob - batch.log_prob
    ratio = jnp.exp(log_ratio)
    advantage = (batch.advantage - batch.advantage.mean()) / (batch.advantage.std() + 1e-8)
    pg_loss = jnp.maximum(
        -advantage * ratio, -advantage * jnp.clip(ratio, 1.0 - config.clip_eps, 1.0 + config.clip_eps)
    ).mean()

    value_clipped = batch.value + jnp.clip(value - batch.value, -config.clip_eps, config.clip_eps)
    vf_loss = 0.5 * jnp.maximum((value - batch.target) ** 2, (value_clipped - batch.target) ** 2).mean()

    total = pg_loss + config.vf_coef * vf_loss - config.ent_coef * entropy
    parts = {
        "pg_loss": pg_loss,
        "vf_loss": vf_loss,
        "entropy": entropy,
        # The low-variance estimator of KL(old || new) (Schulman), and how often the ratio was clipped.
        "approx_kl": jax.lax.stop_gradient(((ratio - 1.0) - log_ratio).mean()),
        "clip_frac": jax.lax.stop_gradient((jnp.abs(ratio - 1.0) > config.clip_eps).mean()),
    }
    return total, parts
