"""Checkpoints as W&B ``model`` artifacts: upload (``ArtifactUploader``) and download for a resume elsewhere.

One artifact name per run (``model-<run id>``), so W&B numbers the checkpoints of a run as versions of one
artifact; each version carries the aliases ``latest`` and ``update-<n>``. Files are added with the ``immutable``
policy: the client reads them in place instead of copying every checkpoint into its staging directory (offline,
those copies are never cleaned up). The price: a checkpoint must stay on disk until it is uploaded — online that
is seconds; an offline run must be synced (``wandb sync``) before ``ModelCheckpoint(keep_last_k=...)`` deletes the
checkpoints it recorded.
"""

from __future__ import annotations

import os
import pathlib
from typing import TYPE_CHECKING, Any

import wandb

from hackmatrix.training.callback import Callback
from hackmatrix.training.checkpoint import latest_checkpoint, metadata_path, read_metadata
from hackmatrix.training.wandb_logger import WandbLogger

if TYPE_CHECKING:
    from hackmatrix.training.trainer import Trainer

ARTIFACT_TYPE = "model"


def artifact_name(run_id: str) -> str:
    """The one artifact name under which a run's checkpoints are versioned."""
    return f"model-{run_id}"


class ArtifactUploader(Callback):
    """Logs checkpoints written by ``ModelCheckpoint`` as versions of the run's ``model`` artifact.

    ``every``: upload a checkpoint only when at least this many updates passed since the last upload
    (``None``: every checkpoint). The newest checkpoint is always uploaded when training ends or fails (the final
    and the preemption checkpoints among them), so that a run can be resumed from W&B. Needs a ``WandbLogger``
    among the trainer's callbacks.
    """

    def __init__(self, every: int | None = None) -> None:
        if every is not None and every < 1:
            raise ValueError(f"every must be None or an integer >= 1; got {every}")
        self.every = every
        self._logger: WandbLogger | None = None
        self._last_uploaded: int | None = None
        self._pending: tuple[pathlib.Path, int] | None = None

    def setup(self, trainer: "Trainer") -> None:
        self._logger = next((cb for cb in trainer.callbacks if isinstance(cb, WandbLogger)), None)
        if self._logger is None:
            raise ValueError("ArtifactUploader needs a WandbLogger among the trainer's callbacks")
        self._last_uploaded = None
        self._pending = None

    def on_checkpoint(self, trainer: "Trainer", path: str, step: int) -> None:
        self._pending = (pathlib.Path(path), step)
        due = self.every is None or self._last_uploaded is None or step - self._last_uploaded >= self.every
        if due:
            self._upload_pending()

    def on_fit_end(self, trainer: "Trainer", state: Any) -> None:
        self._upload_pending()

    def on_exception(self, trainer: "Trainer", error: BaseException) -> None:
        self._upload_pending()

    def _upload_pending(self) -> None:
        if self._pending is None or self._logger is None:
            return
        path, step = self._pending
        self._pending = None
        self._last_uploaded = step
        self._logger.submit(lambda run: log_checkpoint(run, path, step))


def log_checkpoint(run: Any, path: pathlib.Path, step: int) -> None:
    """Logs the checkpoint at ``path`` (taken after update ``step``) as the next version of the run's artifact."""
    metadata = read_metadata(path)
    if metadata is None:  # deleted since (a newer checkpoint replaced it): nothing to upload
        return
    artifact = wandb.Artifact(
        artifact_name(run.id),
        type=ARTIFACT_TYPE,
        metadata={
            "update_step": step,
            "env_steps": metadata["env_steps"],
            "config_hash": metadata["config_hash"],
            "run_name": run.name,
        },
    )
    for file in (path, metadata_path(path)):
        artifact.add_file(str(file), name=file.name, policy="immutable")
    run.log_artifact(artifact, aliases=["latest", f"update-{step}"])


def download_latest_checkpoint(
    entity: str | None, project: str, run_id: str, checkpoint_dir: str | os.PathLike[str]
) -> pathlib.Path:
    """Downloads the newest checkpoint artifact of a W&B run into ``<checkpoint_dir>/<run name>/``.

    Returns the checkpoint's path; raises ``LookupError`` if the run or its artifact cannot be found or reached.
    """
    prefix = f"{entity}/{project}" if entity else project
    try:
        api = wandb.Api(timeout=15)
        artifact = api.artifact(f"{prefix}/{artifact_name(run_id)}:latest", type=ARTIFACT_TYPE)
        destination = pathlib.Path(checkpoint_dir) / artifact.metadata["run_name"]
        artifact.download(root=str(destination))
    except Exception as error:  # noqa: BLE001 - every failure means the same to the caller: no remote checkpoint
        raise LookupError(f"no checkpoint artifact of W&B run {prefix}/{run_id}: {error}") from error
    path = latest_checkpoint(destination)
    if path is None:
        raise LookupError(f"the checkpoint artifact of W&B run {prefix}/{run_id} holds no complete checkpoint")
    return path
