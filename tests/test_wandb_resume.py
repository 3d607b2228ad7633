"""A W&B run stopped by SIGTERM records its exit code and is continued, same id, by a resume from its checkpoint."""

from __future__ import annotations

import os
import pathlib
import signal
from typing import Any

import pytest
import wandb
from wandb_reader import read_runs

import hackmatrix as hm
from hackmatrix.training.artifacts import ArtifactUploader
from hackmatrix.training.naming import run_id_for
from hackmatrix.training.wandb_logger import WandbLogger

CONFIG = hm.PPOConfig(
    num_envs=4, num_steps=8, total_timesteps=4 * 8 * 6, num_minibatches=2, hidden_dim=16, num_layers=1
)
NAME = "hackmatrix-jax-260309-1"


class SignalAt(hm.Callback):
    """Sends ``signum`` to this process at the end of the chunk that reaches ``update``, like a preemption would."""

    def __init__(self, update: int, signum: int) -> None:
        self.update = update
        self.signum = signum

    def on_chunk_end(self, trainer: Any, state: Any, metrics: dict[str, Any], step: int) -> None:
        if step == self.update:
            os.kill(os.getpid(), self.signum)


def _trainer(checkpoints: pathlib.Path, *extra: hm.Callback) -> hm.PPOTrainer:
    callbacks = [
        hm.ThroughputMeter(),
        hm.ModelCheckpoint(checkpoints, every_n_updates=2),
        WandbLogger(name=NAME, run_id=run_id_for(NAME)),
        ArtifactUploader(),
        *extra,
    ]
    return hm.PPOTrainer(hm.TinyCorridor(), CONFIG, callbacks=callbacks, chunk_size=2)


def _update_steps(history: list[dict[str, Any]]) -> list[int]:
    return [round(row["train/update_step"]) for row in history]


def test_sigterm_finishes_the_run_and_a_resume_continues_it(
    isolated_wandb: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    checkpoints = tmp_path / NAME
    with pytest.raises(SystemExit) as stopped:
        _trainer(checkpoints, SignalAt(4, signal.SIGTERM)).fit()
    assert stopped.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the logger's handler is gone after fit

    # The signal came before the checkpoint of update 4 was written: the resume starts after update 2.
    _trainer(checkpoints).fit(resume_from="last")
    wandb.teardown()

    first, resumed = read_runs(isolated_wandb / "dir", run_id=run_id_for(NAME))
    assert (first.exit_code, resumed.exit_code) == (128 + signal.SIGTERM, 0)
    assert first.display_name == resumed.display_name == NAME
    assert _update_steps(first.history) == [1, 2, 3, 4]
    assert _update_steps(resumed.history) == [3, 4, 5, 6]
    assert [a.metadata["update_step"] for a in first.artifacts] == [2]
    assert [a.metadata["update_step"] for a in resumed.artifacts] == [4, 6]
    assert {a.name for a in first.artifacts + resumed.artifacts} == {f"model-{run_id_for(NAME)}"}


@pytest.mark.parametrize(
    ("error", "exit_code"),
    [(None, 0), (RuntimeError("boom"), 1), (KeyboardInterrupt(), 130), (SystemExit(143), 143)],
)
def test_run_is_finished_with_the_exit_code_of_how_training_ended(
    isolated_wandb: pathlib.Path, error: BaseException | None, exit_code: int
) -> None:
    logger = WandbLogger(run_id="e0e0e0e0")
    trainer = hm.PPOTrainer(hm.TinyCorridor(), CONFIG, callbacks=[logger])
    logger.setup(trainer)
    if error is None:
        logger.on_fit_end(trainer, state=None)
    else:
        logger.on_exception(trainer, error)
    logger.teardown(trainer)
    wandb.teardown()
    (run,) = read_runs(isolated_wandb / "dir")
    assert run.exit_code == exit_code
