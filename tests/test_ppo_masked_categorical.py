"""Masked categorical: invalid actions have probability exactly 0, are never sampled, and nothing is NaN/inf."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hackmatrix.ppo.masked_categorical import masked_entropy, masked_log_probs, sample_masked

NUM_ACTIONS = 7
BATCH = 16


@jax.jit
def distribution(logits, mask, key):
    log_probs = masked_log_probs(logits, mask)
    entropy = masked_entropy(log_probs, mask)
    samples = jax.vmap(lambda k: sample_masked(logits, mask, key=k))(jax.random.split(key, 200))

    def objective(logits):
        log_probs = masked_log_probs(logits, mask)
        return (masked_entropy(log_probs, mask) + jnp.take_along_axis(log_probs, samples[0][:, None], -1)[:, 0]).sum()

    return log_probs, entropy, samples, jax.grad(objective)(logits)


masks = hnp.arrays(bool, (BATCH, NUM_ACTIONS))
# One action per row that is forced valid: in play an environment always offers at least one.
forced_valid = hnp.arrays(np.int32, (BATCH,), elements=st.integers(0, NUM_ACTIONS - 1))
logit_arrays = hnp.arrays(np.float32, (BATCH, NUM_ACTIONS), elements=st.floats(-30, 30, width=32))


@given(logits=logit_arrays, mask=masks, forced=forced_valid, seed=st.integers(0, 2**31 - 1))
def test_masked_categorical_properties(logits: np.ndarray, mask: np.ndarray, forced: np.ndarray, seed: int) -> None:
    mask = mask | (np.arange(NUM_ACTIONS) == forced[:, None])
    log_probs, entropy, samples, grads = map(np.asarray, distribution(logits, mask, jax.random.key(seed)))
    probs = np.exp(log_probs)
    assert np.all(np.isfinite(log_probs)) and np.all(np.isfinite(entropy)) and np.all(np.isfinite(grads))
    assert np.all(probs[~mask] == 0.0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    assert np.all(np.take_along_axis(mask, samples.T, axis=1))  # every sample is a valid action
    assert np.all(grads[~mask] == 0.0)  # invalid logits get no gradient
    num_valid = mask.sum(-1)
    assert np.all(entropy >= -1e-6) and np.all(entropy <= np.log(num_valid) + 1e-5)
    # Entropy is computed over the valid actions only: it equals the entropy of the renormalised valid logits.
    for row in range(BATCH):
        valid_logits = logits[row][mask[row]].astype(np.float64)
        p = np.exp(valid_logits - valid_logits.max())
        p /= p.sum()
        np.testing.assert_allclose(entropy[row], -(p * np.log(np.maximum(p, 1e-300))).sum(), atol=2e-5)


def test_single_valid_action_is_certain() -> None:
    mask = np.zeros((BATCH, NUM_ACTIONS), bool)
    mask[np.arange(BATCH), np.arange(BATCH) % NUM_ACTIONS] = True
    logits = np.random.default_rng(0).normal(size=(BATCH, NUM_ACTIONS)).astype(np.float32) * 10
    log_probs, entropy, samples, grads = map(np.asarray, distribution(logits, mask, jax.random.key(0)))
    assert np.all(log_probs[mask] == 0.0) and np.all(entropy == 0.0)
    assert np.all(samples == np.arange(BATCH) % NUM_ACTIONS)
    assert np.all(np.isfinite(grads))


def test_sampling_follows_the_renormalised_probabilities() -> None:
    logits = jnp.log(jnp.array([[0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0]]) + 1e-12)
    mask = jnp.array([[True, False, True, True, False, False, False]])
    key = jax.random.key(7)
    samples = jax.jit(jax.vmap(lambda k: sample_masked(logits, mask, key=k)))(jax.random.split(key, 20000))
    frequencies = np.bincount(np.asarray(samples).ravel(), minlength=NUM_ACTIONS) / samples.size
    np.testing.assert_allclose(frequencies, [0.125, 0, 0.375, 0.5, 0, 0, 0], atol=0.015)
