"""The ``ThroughputMeter`` callback: environment steps and updates per second, compilation timed apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

from hackmatrix.training.callback import Callback

if TYPE_CHECKING:
    from hackmatrix.training.trainer import Trainer


@final
class ThroughputMeter(Callback):
    """Attributes, updated after each chunk:

    - ``steps_per_second`` / ``updates_per_second``: the last chunk's rates, timed by the trainer around the
      compiled chunk (after ``block_until_ready``), compilation excluded; NaN before the first chunk.
    - ``compile_seconds``: the time spent compiling the first chunk's function in this fit (NaN before it).
    - ``total_compile_seconds``: all compilation in this fit (a final partial chunk compiles once more).
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.steps_per_second = float("nan")
        self.updates_per_second = float("nan")
        self.compile_seconds = float("nan")
        self.total_compile_seconds = 0.0
        self._chunks = 0
        self._chunk_first_step = 0

    def on_fit_start(self, trainer: "Trainer", state: Any) -> None:
        self._reset()

    def on_chunk_start(self, trainer: "Trainer", state: Any, step: int) -> None:
        self._chunk_first_step = step

    def on_chunk_end(self, trainer: "Trainer", state: Any, metrics: dict[str, Any], step: int) -> None:
        self.updates_per_second = (step - self._chunk_first_step) / trainer.last_chunk_seconds
        self.steps_per_second = self.updates_per_second * trainer.env_steps_per_update
        if self._chunks == 0:
            self.compile_seconds = trainer.last_compile_seconds
        self.total_compile_seconds += trainer.last_compile_seconds
        self._chunks += 1
