"""The trainer's chunk loop: hook order, compile-once, metrics, throughput and hyperparameters."""

from __future__ import annotations

import json
import math
from typing import Any

import equinox as eqx
import numpy as np
import pytest

import hackmatrix as hm

CHUNK_SIZE = 2  # 5 updates: chunks of 2, 2 and a final partial chunk of 1


class Recorder(hm.Callback):
    """Logs every hook call as (hook, step) into a shared list."""

    def __init__(self, name: str, log: list):
        self.name, self.log = name, log

    def _record(self, hook: str, step: Any = None) -> None:
        self.log.append((self.name, hook, step))

    def setup(self, trainer):
        self._record("setup")

    def on_fit_start(self, trainer, state):
        self._record("on_fit_start", trainer.update_step)

    def on_chunk_start(self, trainer, state, step):
        self._record("on_chunk_start", step)

    def on_chunk_end(self, trainer, state, metrics, step):
        assert all(isinstance(v, np.ndarray) for v in metrics.values())  # already on the host
        self._record("on_chunk_end", step)

    def on_checkpoint(self, trainer, path, step):
        self._record("on_checkpoint", step)

    def on_exception(self, trainer, error):
        self._record("on_exception", type(error).__name__)

    def on_fit_end(self, trainer, state):
        self._record("on_fit_end", trainer.update_step)

    def teardown(self, trainer):
        self._record("teardown")


@eqx.debug.assert_max_traces(max_traces=2)
def traced_update(trainer, state):
    return hm.PPOTrainer.update(trainer, state)


class CountingTrainer(hm.PPOTrainer):
    """Counts how often the update is traced: once per compiled chunk length."""

    def update(self, state):
        return traced_update(self, state)


def test_hook_order_and_compile_once(tiny_config, tmp_path) -> None:
    log: list = []
    callbacks = [Recorder("a", log), hm.ModelCheckpoint(tmp_path, every_n_updates=4), Recorder("b", log)]
    trainer = CountingTrainer(hm.TinyCorridor(), tiny_config, callbacks=callbacks, chunk_size=CHUNK_SIZE)
    result = trainer.fit()

    # Three chunks, two compiled lengths (2 and the final 1): the update was traced exactly twice.
    assert eqx.debug.get_num_traces(traced_update) == 2
    expected = [("setup", None), ("on_fit_start", 0)]
    for start, end in [(0, 2), (2, 4), (4, 5)]:
        expected += [("on_chunk_start", start), ("on_chunk_end", end)]
        if end in (4, 5):  # crossed a multiple of every_n_updates=4, then the end of the run
            expected += [("on_checkpoint", end)]
    expected += [("on_fit_end", 5), ("teardown", None)]
    # Every hook runs for each callback in registration order before the next hook starts.
    assert log == [(name, hook, step) for hook, step in expected for name in "ab"]
    assert trainer.update_step == trainer.num_updates == 5
    assert trainer.env_steps == 5 * tiny_config.num_envs * tiny_config.num_steps
    assert {len(v) for v in result.metrics.values()} == {5}


def test_metrics_cover_losses_rollout_and_info(tiny_config) -> None:
    trainer = hm.PPOTrainer(hm.TinyCorridor(), tiny_config, chunk_size=CHUNK_SIZE)
    metrics = trainer.fit().metrics
    expected = {
        "total_loss", "pg_loss", "vf_loss", "entropy", "approx_kl", "clip_frac", "mean_reward",
        "mean_episode_return", "mean_episode_length", "episodes_completed", "invalid_action_rate",
        "reward/coin", "reward/exit", "stats/furthest_cell", "invalid_action",
    }  # fmt: skip
    assert set(metrics) == expected
    assert np.all(metrics["invalid_action_rate"] == 0.0) and np.all(metrics["invalid_action"] == 0.0)
    # "stats/furthest_cell" is in info_max_keys: reduced with max, so it is a cell index, not a mean.
    assert np.all(metrics["stats/furthest_cell"] == np.round(metrics["stats/furthest_cell"]))
    assert np.all(metrics["episodes_completed"] > 0)
    assert np.all(metrics["mean_episode_length"] <= hm.TinyCorridor().max_steps)
    combined = (
        metrics["pg_loss"] + tiny_config.vf_coef * metrics["vf_loss"] - tiny_config.ent_coef * metrics["entropy"]
    )
    np.testing.assert_allclose(metrics["total_loss"], combined, rtol=1e-4, atol=1e-6)


class Boom(hm.Callback):
    def on_chunk_end(self, trainer, state, metrics, step):
        raise RuntimeError("boom")


def test_exception_fires_on_exception_then_teardown_and_reraises(tiny_config) -> None:
    log: list = []
    trainer = hm.PPOTrainer(
        hm.TinyCorridor(), tiny_config, callbacks=[Recorder("a", log), Boom()], chunk_size=CHUNK_SIZE
    )
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit()
    hooks = [hook for _, hook, _ in log]
    assert hooks[-2:] == ["on_exception", "teardown"] and "on_fit_end" not in hooks
    assert log[-2] == ("a", "on_exception", "RuntimeError")


def test_throughput_meter_separates_compilation(tiny_config) -> None:
    meter = hm.ThroughputMeter()
    seen: list = []

    class Probe(hm.Callback):
        def on_chunk_end(self, trainer, state, metrics, step):
            seen.append((meter.steps_per_second, meter.updates_per_second, trainer.last_chunk_seconds))

    trainer = hm.PPOTrainer(hm.TinyCorridor(), tiny_config, callbacks=[meter, Probe()], chunk_size=CHUNK_SIZE)
    trainer.fit()
    assert len(seen) == 3
    for steps_per_second, updates_per_second, seconds in seen:
        assert steps_per_second == pytest.approx(updates_per_second * trainer.env_steps_per_update)
        assert seconds > 0 and math.isfinite(steps_per_second)
    assert seen[0][1] == pytest.approx(CHUNK_SIZE / seen[0][2])
    assert meter.compile_seconds > 0 and meter.total_compile_seconds > meter.compile_seconds


def test_hparams_are_json_and_include_callbacks(tiny_config, tmp_path) -> None:
    checkpoint = hm.ModelCheckpoint(tmp_path, every_n_updates=3, keep_last_k=2)
    trainer = hm.PPOTrainer(hm.TinyCorridor(), tiny_config, callbacks=[checkpoint, hm.ThroughputMeter()], chunk_size=7)
    hparams = json.loads(json.dumps(trainer.hparams()))
    assert {k: hparams[k] for k in tiny_config.to_dict()} == tiny_config.to_dict()
    assert hparams["chunk_size"] == 7
    assert hparams["callbacks"] == {"ModelCheckpoint": checkpoint.hparams()}
    assert hparams["callbacks"]["ModelCheckpoint"]["every_n_updates"] == 3


def test_chunk_size_is_validated(tiny_config) -> None:
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1; got 0"):
        hm.PPOTrainer(hm.TinyCorridor(), tiny_config, chunk_size=0)


def test_progress_bar_follows_the_run(tiny_config) -> None:
    bar = hm.ProgressBar()
    states = []

    class Probe(hm.Callback):
        def on_chunk_end(self, trainer, state, metrics, step):
            task = bar._progress.tasks[0]
            states.append((task.completed, task.total, task.fields["status"]))

    hm.PPOTrainer(hm.TinyCorridor(), tiny_config, callbacks=[bar, Probe()], chunk_size=CHUNK_SIZE).fit()
    assert [(completed, total) for completed, total, _ in states] == [(2, 5), (4, 5), (5, 5)]
    assert all("steps/s" in status and "return" in status for _, _, status in states)
    assert bar._progress is None  # stopped at teardown
