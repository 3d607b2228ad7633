"""Resuming from W&B when no checkpoint is left locally: the newest ``model`` artifact of the run is downloaded.

``wandb.Api`` needs a server (the offline client cannot answer it), so these tests stand a small fake in for the
public API object; everything after the download (where files land, which checkpoint is used, the run plan) is real.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import wandb

import hackmatrix as hm
from hackmatrix.train import build_parser, parse_args, plan_run
from hackmatrix.training.artifacts import download_latest_checkpoint
from hackmatrix.training.checkpoint import save_checkpoint

CONFIG = hm.PPOConfig(num_envs=4, num_steps=8, total_timesteps=4 * 8 * 20, num_minibatches=2, seed=3)


class FakeArtifact:
    """What ``Api.artifact`` returns: the uploader's metadata, and a download that writes the checkpoint files."""

    def __init__(self, update: int) -> None:
        self.metadata = {"update_step": update, "run_name": "remote-run"}
        self.update = update

    def download(self, root: str) -> str:
        save_checkpoint(
            root,
            {"weights": np.zeros(2, np.float32)},
            update=self.update,
            env_steps=self.update * CONFIG.batch_size,
            config=CONFIG.to_dict(),
            config_hash=CONFIG.config_hash(),
            callback_states={},
        )
        return root


class FakeApi:
    requests: list[tuple[str, str | None]] = []

    def __init__(self, timeout: int | None = None) -> None: ...

    def artifact(self, name: str, type: str | None = None) -> FakeArtifact:
        FakeApi.requests.append((name, type))
        if "0000dead" in name:
            raise wandb.errors.CommError("artifact not found")
        return FakeArtifact(update=12)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> type[FakeApi]:
    FakeApi.requests = []
    monkeypatch.setattr(wandb, "Api", FakeApi)
    return FakeApi


def test_the_latest_model_artifact_is_downloaded_into_the_runs_directory(
    fake_api: type[FakeApi], tmp_path: pathlib.Path
) -> None:
    path = download_latest_checkpoint("team", "proj", "abcd1234", tmp_path)
    assert fake_api.requests == [("team/proj/model-abcd1234:latest", "model")]
    assert path == tmp_path / "remote-run" / "ckpt-00000012.eqx"


def test_a_missing_artifact_is_a_lookup_error(fake_api: type[FakeApi], tmp_path: pathlib.Path) -> None:
    with pytest.raises(LookupError, match="team/proj/0000dead"):
        download_latest_checkpoint("team", "proj", "0000dead", tmp_path)


def test_resume_run_without_local_checkpoint_continues_from_the_artifact(
    fake_api: type[FakeApi], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "online")
    parser = build_parser()
    argv = ["--resume-run", "abcd1234", "--wandb", "--entity", "team", "--project", "proj", "--checkpoint-dir"]
    plan = plan_run(parser, parse_args(parser, [*argv, str(tmp_path)]))
    assert plan.resume_from == tmp_path / "remote-run" / "ckpt-00000012.eqx"
    assert (plan.run_name, plan.run_id, plan.config) == ("remote-run", "abcd1234", CONFIG)
