"""Chunking a run does not change it: fit() in chunks and train_monolithic() agree bit for bit."""

from __future__ import annotations

import jax
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import hackmatrix as hm


def assert_trees_identical(a, b) -> None:
    leaves_a, leaves_b = jax.tree.leaves(a), jax.tree.leaves(b)
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(leaves_a, leaves_b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@given(
    seed=st.integers(0, 2**31 - 1),
    num_envs=st.sampled_from([2, 4]),
    num_steps=st.sampled_from([3, 4]),
    num_updates=st.integers(1, 12),
    chunk_size=st.integers(1, 6),
    anneal_lr=st.booleans(),
)
def test_fit_equals_monolithic(
    seed: int, num_envs: int, num_steps: int, num_updates: int, chunk_size: int, anneal_lr: bool
) -> None:
    config = hm.PPOConfig(
        num_envs=num_envs,
        num_steps=num_steps,
        total_timesteps=num_envs * num_steps * num_updates,
        num_minibatches=2,
        update_epochs=2,
        hidden_dim=16,
        num_layers=1,
        anneal_lr=anneal_lr,
        seed=seed,
    )
    trainer = hm.PPOTrainer(hm.TinyCorridor(), config, chunk_size=chunk_size)
    chunked = trainer.fit()
    state, metrics = trainer.train_monolithic(num_updates)

    assert_trees_identical(chunked.state, state)
    assert chunked.metrics.keys() == metrics.keys()
    for name in metrics:
        assert chunked.metrics[name].shape == (num_updates,)
        np.testing.assert_array_equal(chunked.metrics[name], metrics[name], err_msg=name)
