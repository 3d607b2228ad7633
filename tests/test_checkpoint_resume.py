"""Exact resume: an interrupted run resumed from its checkpoint in a fresh trainer equals the uninterrupted run."""

from __future__ import annotations

import dataclasses
import json

import jax
import numpy as np
import pytest

import hackmatrix as hm
from hackmatrix.training.checkpoint import latest_checkpoint

CHUNK_SIZE = 2


class ChunkCounter(hm.Callback):
    """A callback with state: how many chunks and updates it has seen, saved with checkpoints."""

    def __init__(self) -> None:
        self.chunks, self.updates = 0, []

    def on_chunk_end(self, trainer, state, metrics, step):
        self.chunks += 1
        self.updates.append(step)

    def state_dict(self):
        return {"chunks": self.chunks, "updates": self.updates}

    def load_state_dict(self, state):
        self.chunks, self.updates = state["chunks"], list(state["updates"])


class Interrupt(Exception):
    pass


class InterruptAt(hm.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_chunk_start(self, trainer, state, step):
        if step == self.step:
            raise Interrupt


def make_trainer(config, dirpath, *extra, **checkpoint_kwargs):
    counter = ChunkCounter()
    checkpoint = hm.ModelCheckpoint(dirpath, **({"every_n_updates": CHUNK_SIZE} | checkpoint_kwargs))
    trainer = hm.PPOTrainer(hm.TinyCorridor(), config, callbacks=[counter, checkpoint, *extra], chunk_size=CHUNK_SIZE)
    return trainer, counter


@pytest.fixture(scope="module")
def uninterrupted(tiny_config, tmp_path_factory):
    trainer, counter = make_trainer(tiny_config, tmp_path_factory.mktemp("full"))
    return trainer.fit(), counter


@pytest.mark.parametrize("resume_from", ["directory", "last", "file"])
def test_resume_after_interrupt_is_bit_identical(tiny_config, tmp_path, uninterrupted, resume_from) -> None:
    full, full_counter = uninterrupted
    interrupted, _ = make_trainer(tiny_config, tmp_path, InterruptAt(2 * CHUNK_SIZE))
    with pytest.raises(Interrupt):
        interrupted.fit()
    assert latest_checkpoint(tmp_path) == tmp_path / f"ckpt-{2 * CHUNK_SIZE:08d}.eqx"

    resumed_trainer, counter = make_trainer(tiny_config, tmp_path)
    path = {"directory": tmp_path, "last": "last", "file": latest_checkpoint(tmp_path)}[resume_from]
    resumed = resumed_trainer.fit(resume_from=path)

    for a, b in zip(jax.tree.leaves(resumed.state), jax.tree.leaves(full.state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    start = 2 * CHUNK_SIZE
    assert {name: len(v) for name, v in resumed.metrics.items()} == {
        name: len(v) - start for name, v in full.metrics.items()
    }
    for name, values in resumed.metrics.items():
        np.testing.assert_array_equal(values, full.metrics[name][start:], err_msg=name)
    # The callback's state was restored from the checkpoint and carried on as if never interrupted.
    assert (counter.chunks, counter.updates) == (full_counter.chunks, full_counter.updates)


def test_resume_with_more_timesteps_continues_and_other_changes_are_refused(tiny_config, tmp_path) -> None:
    trainer, _ = make_trainer(tiny_config, tmp_path)
    trainer.fit()
    longer = dataclasses.replace(tiny_config, total_timesteps=tiny_config.total_timesteps + tiny_config.batch_size)
    extended, _ = make_trainer(longer, tmp_path)
    result = extended.fit(resume_from="last")
    assert {len(v) for v in result.metrics.values()} == {1} and extended.update_step == longer.num_updates
    metadata = json.loads(latest_checkpoint(tmp_path).with_suffix(".json").read_text())
    assert metadata["update"] == longer.num_updates
    assert metadata["env_steps"] == longer.num_updates * longer.batch_size

    changed = dataclasses.replace(tiny_config, learning_rate=1e-3, gamma=0.5, num_envs=2)
    refused, _ = make_trainer(changed, tmp_path)
    expected = r"fields that change training \(gamma: 0.99 -> 0.5, learning_rate: .*, num_envs: 4 -> 2\)"
    with pytest.raises(ValueError, match=expected):
        refused.fit(resume_from="last")


def test_resume_last_without_checkpoint_starts_fresh_with_a_warning(tiny_config, tmp_path, uninterrupted) -> None:
    trainer, _ = make_trainer(tiny_config, tmp_path / "empty")
    with pytest.warns(UserWarning, match="starting a fresh run"):
        result = trainer.fit(resume_from="last")
    for a, b in zip(jax.tree.leaves(result.state), jax.tree.leaves(uninterrupted[0].state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_resume_last_needs_a_model_checkpoint(tiny_config) -> None:
    trainer = hm.PPOTrainer(hm.TinyCorridor(), tiny_config)
    with pytest.raises(ValueError, match="needs a ModelCheckpoint"):
        trainer.fit(resume_from="last")
