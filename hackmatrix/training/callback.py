"""The callback interface of :class:`hackmatrix.training.Trainer`.

Hook order during ``Trainer.fit()`` (callbacks run in registration order for every hook)::

    setup(trainer)                                   # once, before anything is compiled or restored
    on_fit_start(trainer, state)                     # after the state is built or restored from a checkpoint
    for each chunk:
        on_chunk_start(trainer, state, step)         # step = updates completed so far
        on_chunk_end(trainer, state, metrics, step)  # metrics: dict name -> host numpy array (one entry/update)
        on_checkpoint(trainer, path, step)           # only after a checkpoint was written in this chunk
    on_fit_end(trainer, state)                       # normal end only
    on_exception(trainer, error)                     # instead of on_fit_end when fit() raises (then re-raised)
    teardown(trainer)                                # always, last

A callback that keeps state across a run implements ``state_dict()`` / ``load_state_dict()`` with JSON-compatible
values; the checkpoint stores them and restores them on resume.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hackmatrix.training.trainer import Trainer


class Callback:
    """Base class: every hook is a no-op. Override the ones you need."""

    #: Key under which this callback's ``state_dict()`` is saved in checkpoints. Defaults to the class name.
    @property
    def state_key(self) -> str:
        return type(self).__name__

    def setup(self, trainer: "Trainer") -> None: ...

    def on_fit_start(self, trainer: "Trainer", state: Any) -> None: ...

    def on_chunk_start(self, trainer: "Trainer", state: Any, step: int) -> None: ...

    def on_chunk_end(self, trainer: "Trainer", state: Any, metrics: dict[str, Any], step: int) -> None: ...

    def on_checkpoint(self, trainer: "Trainer", path: str, step: int) -> None: ...

    def on_exception(self, trainer: "Trainer", error: BaseException) -> None: ...

    def on_fit_end(self, trainer: "Trainer", state: Any) -> None: ...

    def teardown(self, trainer: "Trainer") -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...
