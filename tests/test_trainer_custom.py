"""The user-subclass example works: its extra loss term changes training and its metrics show up."""

from __future__ import annotations

import importlib.util
import pathlib

import jax
import numpy as np

import hackmatrix as hm

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "custom_trainer.py"


def load_example():
    spec = importlib.util.spec_from_file_location("custom_trainer", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_custom_trainer_adds_metrics_and_a_loss_term(tiny_config) -> None:
    example = load_example()
    trainer = example.L2PPOTrainer(hm.TinyCorridor(), tiny_config, chunk_size=2)
    result = trainer.fit()
    assert {"l2_penalty", "param_norm"} <= result.metrics.keys()
    # The penalty is the squared norm of the parameters the minibatch steps saw: positive, and close to the
    # squared norm of the parameters after each update.
    assert np.all(result.metrics["l2_penalty"] > 0)
    np.testing.assert_allclose(result.metrics["l2_penalty"], result.metrics["param_norm"] ** 2, rtol=0.05)
    plain = hm.PPOTrainer(hm.TinyCorridor(), tiny_config, chunk_size=2).fit()
    assert not np.array_equal(jax.tree.leaves(plain.state.params)[0], jax.tree.leaves(result.state.params)[0])
