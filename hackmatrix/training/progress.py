"""The ``ProgressBar`` callback: a rich progress bar over updates, refreshed at chunk boundaries."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, final

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from hackmatrix.training.callback import Callback

if TYPE_CHECKING:
    from hackmatrix.training.trainer import Trainer


@final
class ProgressBar(Callback):
    """Shows updates done, env steps/s of the last chunk and the last update's mean episode return."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task = 0

    def on_fit_start(self, trainer: "Trainer", state: Any) -> None:
        self._progress = Progress(
            TextColumn("[bold]PPO"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        self._task = self._progress.add_task(
            "train", total=trainer.num_updates, completed=trainer.update_step, status="compiling"
        )
        self._progress.start()

    def on_chunk_end(self, trainer: "Trainer", state: Any, metrics: dict[str, Any], step: int) -> None:
        assert self._progress is not None
        steps_per_second = (step - self._progress.tasks[0].completed) * trainer.env_steps_per_update
        steps_per_second /= trainer.last_chunk_seconds
        episode_return = float(metrics["mean_episode_return"][-1]) if "mean_episode_return" in metrics else math.nan
        status = f"{steps_per_second:,.0f} steps/s  return {episode_return:.3f}"
        self._progress.update(self._task, completed=step, status=status)

    def teardown(self, trainer: "Trainer") -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
