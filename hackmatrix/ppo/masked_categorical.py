"""A categorical distribution over the valid actions only.

Invalid actions get probability exactly 0 and are never sampled; log-probabilities and entropy are computed over
the valid actions, and stay finite (with finite gradients) down to a single valid action. Invalid logits are
replaced by the most negative finite float, not ``-inf``: ``0 * -inf`` would turn entropies and gradients into NaN.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray


def masked_log_probs(
    logits: Float[Array, "*batch actions"], mask: Bool[Array, "*batch actions"]
) -> Float[Array, "*batch actions"]:
    """Log-probabilities normalised over the valid actions; ``exp`` of an invalid entry is exactly 0."""
    return jax.nn.log_softmax(jnp.where(mask, logits, jnp.finfo(logits.dtype).min), axis=-1)


def masked_entropy(
    log_probs: Float[Array, "*batch actions"], mask: Bool[Array, "*batch actions"]
) -> Float[Array, "*batch"]:
    """Entropy in nats of the distribution given by ``masked_log_probs``."""
    return -jnp.sum(jnp.where(mask, jnp.exp(log_probs) * log_probs, 0.0), axis=-1)


def sample_masked(
    logits: Float[Array, "*batch actions"], mask: Bool[Array, "*batch actions"], *, key: PRNGKeyArray
) -> Int[Array, "*batch"]:
    """Gumbel-max sampling restricted to valid actions (an invalid action cannot win the argmax)."""
    gumbel = jax.random.gumbel(key, logits.shape, logits.dtype)
    return jnp.argmax(jnp.where(mask, logits + gumbel, -jnp.inf), axis=-1).astype(jnp.int32)
