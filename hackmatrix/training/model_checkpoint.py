"""The ``ModelCheckpoint`` callback: periodic and final checkpoints of the full training state, keep-last-k."""

from __future__ import annotations

import os
import pathlib
import time
from typing import TYPE_CHECKING, Any, final

from hackmatrix.training.callback import Callback
from hackmatrix.training.checkpoint import delete_checkpoint, latest_checkpoint, list_checkpoints

if TYPE_CHECKING:
    from hackmatrix.training.trainer import Trainer


@final
class ModelCheckpoint(Callback):
    """Saves into ``dirpath`` at chunk boundaries: when a chunk crosses a multiple of ``every_n_updates``, when
    ``every_n_minutes`` have passed since the last save (or the start of ``fit``), and after the last update if
    ``save_on_end``. Keeps the newest ``keep_last_k`` checkpoints (all if ``None``)."""

    def __init__(
        self,
        dirpath: str | os.PathLike[str],
        every_n_updates: int | None = None,
        every_n_minutes: int | float | None = None,
        keep_last_k: int | None = 3,
        save_on_end: bool = True,
    ):
        for name, value in [("every_n_updates", every_n_updates), ("every_n_minutes", every_n_minutes)]:
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be None or > 0; got {value!r}")
        if keep_last_k is not None and keep_last_k < 1:
            raise ValueError(f"keep_last_k must be None or >= 1; got {keep_last_k!r}")
        self.dirpath = pathlib.Path(dirpath)
        self.every_n_updates = every_n_updates
        self.every_n_minutes = every_n_minutes
        self.keep_last_k = keep_last_k
        self.save_on_end = save_on_end
        self._last_save_time = time.monotonic()
        self._chunk_first_step = 0

    def hparams(self) -> dict[str, Any]:
        return {
            "dirpath": str(self.dirpath),
            "every_n_updates": self.every_n_updates,
            "every_n_minutes": self.every_n_minutes,
            "keep_last_k": self.keep_last_k,
            "save_on_end": self.save_on_end,
        }

    def latest(self) -> pathlib.Path | None:
        """The newest complete checkpoint in ``dirpath``."""
        return latest_checkpoint(self.dirpath)

    def on_fit_start(self, trainer: "Trainer", state: Any) -> None:
        self._last_save_time = time.monotonic()

    def on_chunk_start(self, trainer: "Trainer", state: Any, step: int) -> None:
        self._chunk_first_step = step

    def on_chunk_end(self, trainer: "Trainer", state: Any, metrics: dict[str, Any], step: int) -> None:
        crossed_multiple = self.every_n_updates is not None and (
            step // self.every_n_updates > self._chunk_first_step // self.every_n_updates
        )
        minutes_passed = (
            self.every_n_minutes is not None and time.monotonic() - self._last_save_time >= 60 * self.every_n_minutes
        )
        at_end = self.save_on_end and step >= trainer.num_updates
        if crossed_multiple or minutes_passed or at_end:
            trainer.request_checkpoint(self.dirpath)

    def on_checkpoint(self, trainer: "Trainer", path: str, step: int) -> None:
        if pathlib.Path(path).parent != self.dirpath:
            return
        self._last_save_time = time.monotonic()
        if self.keep_last_k is not None:
            # The checkpoint just written always stays, even if a resumed run left newer-numbered ones behind.
            others = [p for p in list_checkpoints(self.dirpath) if p != pathlib.Path(path)]
            for old in others[: max(len(others) - (self.keep_last_k - 1), 0)]:
                delete_checkpoint(old)
