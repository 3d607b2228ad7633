"""An online W&B run whose server cannot be reached must not hold training up: it continues offline, warned once."""

from __future__ import annotations

import pathlib
import socket
import time
from typing import Any

import pytest
import wandb
from wandb_reader import read_runs

import hackmatrix as hm
from hackmatrix.training.artifacts import ArtifactUploader
from hackmatrix.training.wandb_logger import WandbLogger

CONFIG = hm.PPOConfig(
    num_envs=4, num_steps=8, total_timesteps=4 * 8 * 6, num_minibatches=2, hidden_dim=16, num_layers=1
)
SECONDS_TO_START = 15


class StartClock(hm.Callback):
    """Records when the callbacks before it (the W&B logger) have finished setting up."""

    def setup(self, trainer: Any) -> None:
        self.ready_at = time.perf_counter()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_falls_back_to_offline_quickly(
    isolated_wandb: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "0" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{_closed_port()}")
    clock = StartClock()
    callbacks = [
        hm.ThroughputMeter(),
        hm.ModelCheckpoint(tmp_path / "checkpoints"),
        WandbLogger(run_id="0ff1ae00"),
        ArtifactUploader(),
        clock,
    ]
    trainer = hm.PPOTrainer(hm.TinyCorridor(), CONFIG, callbacks=callbacks, chunk_size=2)
    started = time.perf_counter()
    with pytest.warns(RuntimeWarning, match="could not be reached") as warned:
        result = trainer.fit()
    wandb.teardown()

    assert clock.ready_at - started < SECONDS_TO_START
    assert len([w for w in warned if "W&B" in str(w.message)]) == 1
    (run,) = read_runs(isolated_wandb / "dir", run_id="0ff1ae00")
    assert [round(row["train/update_step"]) for row in run.history] == list(range(1, CONFIG.num_updates + 1))
    assert len(result.metrics["total_loss"]) == CONFIG.num_updates
    assert run.exit_code == 0
    assert [a.metadata["update_step"] for a in run.artifacts] == [CONFIG.num_updates]
