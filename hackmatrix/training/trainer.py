"""The abstract chunked trainer: a subclass supplies a training state and one pure update; this class runs them.

Training runs as a Python loop over *chunks*. A chunk is ``chunk_size`` updates inside one compiled ``lax.scan``
(compiled once per chunk length: the full length, plus at most one final partial chunk). Between chunks, and only
there, the host blocks on the result, moves the chunk's per-update metrics to host memory and calls the callbacks
(see :mod:`hackmatrix.training.callback` for the hooks and their order).

Because the update is a pure function of the state alone, splitting the run into chunks does not change it: a
chunked run, a run resumed from a checkpoint and :meth:`Trainer.train_monolithic` (all updates in one scan) give
bit-identical states and metrics.
"""

from __future__ import annotations

import abc
import os
import pathlib
import time
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array, Float, PyTree

from hackmatrix.training.callback import Callback
from hackmatrix.training.checkpoint import latest_checkpoint, load_checkpoint, read_metadata, save_checkpoint
from hackmatrix.training.memory import release_free_heap_memory
from hackmatrix.training.model_checkpoint import ModelCheckpoint


@runtime_checkable
class TrainerConfig(Protocol):
    """What the trainer needs of a hyperparameter object (:class:`~hackmatrix.ppo.config.PPOConfig` is one)."""

    def to_dict(self) -> dict[str, Any]: ...

    def config_hash(self) -> str: ...

    def training_differences(self, other: dict[str, Any]) -> list[str]: ...


class FitResult(NamedTuple):
    state: Any  # the final training state (a pytree of device arrays)
    metrics: dict[str, np.ndarray]  # name -> one entry per update run by this fit() call


class Trainer(abc.ABC):
    """Base class of every trainer.

    Public attributes (read by callbacks): ``config``, ``callbacks``, ``chunk_size``, ``num_updates``,
    ``env_steps_per_update``, ``update_step`` (updates completed so far, including those restored from a
    checkpoint), ``env_steps``, ``last_chunk_seconds`` (wall time of the last chunk, after ``block_until_ready``,
    compilation excluded) and ``last_compile_seconds`` (time spent compiling just before the last chunk; 0 when
    its executable was already compiled).

    Each chunk donates its input state (XLA writes the result into the same buffers): a callback may read the
    state it is handed, but must not keep it across chunks (copy what it needs, e.g. with ``jax.device_get``).
    """

    def __init__(self, config: TrainerConfig, *, callbacks: Sequence[Callback] = (), chunk_size: int = 10):
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be an integer >= 1; got {chunk_size!r}")
        self.config = config
        self.callbacks = list(callbacks)
        self.chunk_size = chunk_size
        self.update_step = 0
        self.last_chunk_seconds = 0.0
        self.last_compile_seconds = 0.0
        self._init_jit = eqx.filter_jit(self.init_state)
        # The state is donated: each chunk writes its result into the buffers of its input.
        self._scan_jit = eqx.filter_jit(self._scan_updates, donate="all")
        self._executables: dict[int, Any] = {}
        self._requested_checkpoints: list[pathlib.Path] = []

    # ----------------------------------------------------------------------------------------------------------
    # What a subclass provides.

    @property
    @abc.abstractmethod
    def num_updates(self) -> int:
        """Updates in a full run."""

    @property
    @abc.abstractmethod
    def env_steps_per_update(self) -> int:
        """Environment steps consumed by one update."""

    @abc.abstractmethod
    def init_state(self) -> PyTree:
        """The fresh training state, deterministic in the config (it is traced once under ``jit``). No leaf may be
        weakly typed, and no two leaves may share a buffer (the state is donated)."""

    @abc.abstractmethod
    def update(self, state: PyTree) -> tuple[PyTree, dict[str, Float[Array, ""]]]:
        """One update: a pure function of ``state`` returning the new state and fixed-shape scalar metrics."""

    # ----------------------------------------------------------------------------------------------------------
    # Running.

    @property
    def env_steps(self) -> int:
        return self.update_step * self.env_steps_per_update

    def hparams(self) -> dict[str, Any]:
        """JSON-compatible description of the run: every config field, ``chunk_size``, and under ``callbacks`` the
        ``hparams()`` of each callback that has one (keyed by its ``state_key``)."""
        callbacks = {cb.state_key: cb.hparams() for cb in self.callbacks if callable(getattr(cb, "hparams", None))}
        return {**self.config.to_dict(), "chunk_size": self.chunk_size, "callbacks": callbacks}

    def fit(self, resume_from: str | os.PathLike[str] | None = None) -> FitResult:
        """Runs the remaining updates up to ``num_updates``, in chunks, firing the callbacks.

        ``resume_from``: ``None`` (fresh start), ``"last"`` (the newest complete checkpoint in the directory of the
        first :class:`ModelCheckpoint` callback; a fresh start, with a warning, when there is none yet), or the path
        of a checkpoint file or of a checkpoint directory (its newest complete checkpoint).
        """
        try:
            self._dispatch("setup")
            state = self._start(resume_from)
            self._dispatch("on_fit_start", state)
            chunk_metrics = []
            while self.update_step < self.num_updates:
                length = min(self.chunk_size, self.num_updates - self.update_step)
                self._dispatch("on_chunk_start", state, self.update_step)
                state, metrics = self._run_chunk(state, length)
                chunk_metrics.append(metrics)
                self.update_step += length
                self._dispatch("on_chunk_end", state, metrics, self.update_step)
                self._write_requested_checkpoints(state)
            self._dispatch("on_fit_end", state)
        except BaseException as error:
            self._dispatch("on_exception", error)
            raise
        finally:
            self._dispatch("teardown")
        return FitResult(state, _concatenate(chunk_metrics))

    def train_monolithic(self, num_updates: int) -> tuple[PyTree, dict[str, np.ndarray]]:
        """``num_updates`` updates from the fresh state as one single ``lax.scan``, without callbacks (the reference
        that chunked and resumed runs must reproduce bit for bit)."""
        state = self._fresh_state()
        state, metrics = self._executable(state, num_updates)(state, num_updates)
        return state, jax.device_get(metrics)

    def request_checkpoint(self, dirpath: str | os.PathLike[str]) -> None:
        """Asks for a checkpoint of the current state in ``dirpath``, written once every callback has seen the end
        of this chunk (so the saved callback states include it); ``on_checkpoint`` follows."""
        self._requested_checkpoints.append(pathlib.Path(dirpath))

    # ----------------------------------------------------------------------------------------------------------
    # Internals.

    def _scan_updates(self, state: PyTree, length: int) -> tuple[PyTree, dict[str, Array]]:
        return jax.lax.scan(lambda carry, _: self.update(carry), state, None, length=length)

    def _executable(self, state: PyTree, length: int) -> Any:
        """The compiled scan of ``length`` updates, compiled ahead of time so that compilation is timed apart."""
        self.last_compile_seconds = 0.0
        if length not in self._executables:
            start = time.perf_counter()
            self._executables[length] = self._scan_jit.lower(state, length).compile()
            self.last_compile_seconds = time.perf_counter() - start
            release_free_heap_memory()
        return self._executables[length]

    def _run_chunk(self, state: PyTree, length: int) -> tuple[PyTree, dict[str, np.ndarray]]:
        executable = self._executable(state, length)
        start = time.perf_counter()
        state, metrics = executable(state, length)
        state = jax.block_until_ready(state)
        self.last_chunk_seconds = time.perf_counter() - start
        return state, jax.device_get(metrics)

    def _fresh_state(self) -> PyTree:
        state = self._init_jit()
        release_free_heap_memory()  # what compiling the initialisation left behind
        return state

    def _start(self, resume_from: str | os.PathLike[str] | None) -> PyTree:
        """The fresh or restored state; sets ``update_step`` and restores callback states."""
        self.update_step = 0
        self._requested_checkpoints = []
        path = self._resume_path(resume_from)
        if path is None:
            return self._fresh_state()
        if path.is_dir():
            path = latest_checkpoint(path) or path  # load_checkpoint reports a directory without checkpoints
        # The config is checked before the state is read: a different config may mean different shapes.
        saved = (read_metadata(path) or {}).get("config")
        differences = self.config.training_differences(saved) if saved is not None else []
        if differences:
            current = self.config.to_dict()
            details = ", ".join(f"{name}: {saved.get(name)!r} -> {current.get(name)!r}" for name in differences)
            raise ValueError(
                f"cannot resume from {path}: the config differs in fields that change training ({details})"
            )
        state, metadata = load_checkpoint(path, eqx.filter_eval_shape(self.init_state))
        saved_states = metadata["callback_states"]
        for callback in self.callbacks:
            if callback.state_key in saved_states:
                callback.load_state_dict(saved_states[callback.state_key])
        self.update_step = metadata["update"]
        return state

    def _resume_path(self, resume_from: str | os.PathLike[str] | None) -> pathlib.Path | None:
        if resume_from is None:
            return None
        if resume_from != "last":
            return pathlib.Path(resume_from)
        checkpointers = [cb for cb in self.callbacks if isinstance(cb, ModelCheckpoint)]
        if not checkpointers:
            raise ValueError('resume_from="last" needs a ModelCheckpoint callback (its dirpath holds the checkpoints)')
        latest = checkpointers[0].latest()
        if latest is None:
            warnings.warn(f"no checkpoint in {checkpointers[0].dirpath} to resume from: starting a fresh run")
        return latest

    def _write_requested_checkpoints(self, state: PyTree) -> None:
        requested, self._requested_checkpoints = self._requested_checkpoints, []
        callback_states = {cb.state_key: cb.state_dict() for cb in self.callbacks}
        for dirpath in dict.fromkeys(requested):
            path = save_checkpoint(
                dirpath,
                state,
                update=self.update_step,
                env_steps=self.env_steps,
                config=self.config.to_dict(),
                config_hash=self.config.config_hash(),
                callback_states=callback_states,
                extra={"chunk_size": self.chunk_size, "trainer": type(self).__name__},
            )
            self._dispatch("on_checkpoint", str(path), self.update_step)

    def _dispatch(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)


def _concatenate(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in (chunks[0] if chunks else {})}
