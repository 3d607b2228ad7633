"""``WandbLogger``: streams a run's hyperparameters and per-update metrics to Weights & Biases.

Design (facts about the pinned client: ``shared/notes/toolchain.md``):

- One ``run.log`` per update of a chunk, not one per chunk: the curves then have the resolution of the monolithic
  trainer's metrics. The chunk's values already arrive on the host in one transfer (the trainer's
  ``jax.device_get``), and the rows are written by a worker thread: ``on_chunk_end`` only enqueues the chunk, so
  the ≈ 1 ms a row costs overlaps with the next chunk's computation instead of delaying it.
- Every interaction with the run after ``init`` (rows, artifacts through :meth:`WandbLogger.submit`) happens on
  that one thread, in order, so no two threads ever use the client at once.
- Steps are never passed to ``run.log``. Every row carries ``train/update_step`` and every metric is plotted against
  it (``define_metric``), so a run resumed from a checkpoint older than its last logged row keeps all its rows,
  where explicit steps at or below W&B's current step would be dropped.
- Training never waits on W&B: online, the client is set to give up on an unreachable server within a few seconds
  (it waits ≈ 100 s by default), a missing API key never prompts, and either case continues offline with one
  warning (``wandb sync`` uploads later); the end of a run waits at most ``FINISH_TIMEOUT_SECONDS`` for uploads.
  ``WANDB_MODE`` is honoured unless ``mode`` is given.
- The run is finished in ``teardown`` with exit code 0 after a normal end, else the code of the error (130 for
  Ctrl-C, 128 + signal for a ``SystemExit`` raised by a signal handler). So that SIGTERM ends a run cleanly instead
  of losing its unflushed data, the logger makes SIGTERM raise ``SystemExit(143)`` during ``fit`` when nothing else
  handles it (the command line installs a gentler handler that first finishes the chunk).
"""

from __future__ import annotations

import importlib.metadata
import os
import queue
import signal
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jax
import numpy as np
import wandb

from hackmatrix.training.callback import Callback
from hackmatrix.training.throughput import ThroughputMeter

if TYPE_CHECKING:
    from hackmatrix.training.trainer import Trainer

#: Give up on an unreachable server in ≈ 3 s instead of ≈ 100 s; skip the account lookup ("viewer") that login
#: makes to print a greeting, which blocks ≈ 5 s per attempt without a network.
_FAIL_FAST = {"init_timeout": 5.0, "x_graphql_retry_max": 1, "x_graphql_timeout_seconds": 3, "x_disable_viewer": True}
#: The end of a run waits at most this long for rows still queued and for uploads (the client's default is
#: forever); whatever is left stays in the local run file for ``wandb sync``.
FINISH_TIMEOUT_SECONDS = 120.0
#: Nothing per-process the run does not need: no console capture, pip freeze or git state.
_LEAN = {"console": "off", "x_save_requirements": False, "disable_git": True}
#: ``WANDB_MODE`` values under which nothing is sent to a server.
OFFLINE_MODES = ("offline", "dryrun", "disabled")

UPDATE_STEP = "train/update_step"
ENV_STEPS = "train/env_steps"


def device_info() -> dict[str, Any]:
    """What the run computes on, for the run's config."""
    device = jax.devices()[0]
    return {
        "device_type": device.platform,
        "device_kind": device.device_kind,
        "device_count": jax.device_count(),
        "local_device_count": jax.local_device_count(),
        "backend": jax.default_backend(),
        "process_count": jax.process_count(),
        "jax_version": jax.__version__,
        "hackmatrix_version": _hackmatrix_version(),
    }


def _hackmatrix_version() -> str:
    try:
        return importlib.metadata.version("hackmatrix")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def metric_key(name: str) -> str:
    """The W&B key of a trainer metric: namespaced names (``reward/kills``) as they are, the others under ``train/``."""
    return name if "/" in name else f"train/{name}"


def exit_code_of(error: BaseException) -> int:
    """The process exit code that ``error`` stands for (``SystemExit``'s own, 130 for Ctrl-C, else 1)."""
    if isinstance(error, SystemExit):
        return error.code if isinstance(error.code, int) else 1
    if isinstance(error, KeyboardInterrupt):
        return 130
    return 1


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


class WandbLogger(Callback):
    """Logs hyperparameters, device info and every update's metrics to one W&B run.

    ``name``/``run_id`` identify the run; with the same id (``resume="allow"``) a restarted job continues the run.
    ``settings`` adds ``wandb.Settings`` fields (e.g. ``{"x_disable_stats": True}``) over this logger's defaults.
    Register it after ``ThroughputMeter`` to log ``train/steps_per_second`` and ``train/updates_per_second``.
    """

    def __init__(
        self,
        project: str = "hackmatrix",
        entity: str | None = "charles-team",
        name: str | None = None,
        run_id: str | None = None,
        mode: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        tags: list[str] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.project = project
        self.entity = entity
        self.name = name
        self.run_id = run_id
        self.mode = mode
        self.dir = dir
        self.tags = tags
        self.settings = settings or {}
        self.run: Any = None
        self._exit_code = 1
        self._throughput: ThroughputMeter | None = None
        self._tasks: queue.SimpleQueue[Callable[[Any], None] | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._previous_sigterm: Any = None

    # ----------------------------------------------------------------------------------------------------------
    # Hooks.

    def setup(self, trainer: "Trainer") -> None:
        self._throughput = self._find_throughput_meter(trainer)
        self._exit_code = 1  # until on_fit_end says otherwise
        self.run = self._start_run({**trainer.hparams(), **device_info()})
        self._worker = threading.Thread(target=self._work, name="wandb-logger", daemon=True)
        self._worker.start()
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_signal)

    def on_chunk_end(self, trainer: "Trainer", state: Any, metrics: dict[str, Any], step: int) -> None:
        rates = {}
        if self._throughput is not None:
            rates["train/steps_per_second"] = self._throughput.steps_per_second
            rates["train/updates_per_second"] = self._throughput.updates_per_second
        steps_per_update = trainer.env_steps_per_update
        self.submit(lambda run: _log_chunk(run, metrics, step, steps_per_update, rates))

    def on_fit_end(self, trainer: "Trainer", state: Any) -> None:
        self._exit_code = 0

    def on_exception(self, trainer: "Trainer", error: BaseException) -> None:
        self._exit_code = exit_code_of(error)

    def teardown(self, trainer: "Trainer") -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None
        if self._worker is not None:
            self._tasks.put(None)
            self._worker.join(timeout=FINISH_TIMEOUT_SECONDS)
            if self._worker.is_alive():
                warnings.warn("W&B logging did not catch up in time; the last rows may be missing", RuntimeWarning)
            self._worker = None
        if self.run is not None:
            self.run.finish(exit_code=self._exit_code)
            self.run = None

    # ----------------------------------------------------------------------------------------------------------
    # The run.

    def submit(self, task: Callable[[Any], None]) -> None:
        """Runs ``task(run)`` on the logger's thread after everything submitted before it (a failure is a warning,
        never an error of the training)."""
        self._tasks.put(task)

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            try:
                task(self.run)
            except Exception as error:  # noqa: BLE001 - losing a row must never stop training
                warnings.warn(f"W&B logging failed: {type(error).__name__}: {error}", RuntimeWarning, stacklevel=1)

    def _find_throughput_meter(self, trainer: "Trainer") -> ThroughputMeter | None:
        position = trainer.callbacks.index(self)
        meters = [i for i, cb in enumerate(trainer.callbacks) if isinstance(cb, ThroughputMeter)]
        if meters and meters[0] > position:
            raise ValueError("register the ThroughputMeter before the WandbLogger (it must measure a chunk first)")
        return trainer.callbacks[meters[0]] if meters else None

    def _start_run(self, config: dict[str, Any]) -> Any:
        if (self.mode or os.environ.get("WANDB_MODE", "online")) in OFFLINE_MODES:
            return self._init(config, mode=self.mode)
        wandb.setup(settings=wandb.Settings(**_FAIL_FAST))
        if not wandb.login(prompt=False, verify=False):
            return self._init_offline(config, "no W&B API key is configured (run `wandb login` or set WANDB_API_KEY)")
        try:
            return self._init(config, mode=self.mode)
        except Exception as error:  # noqa: BLE001 - whatever stops the online run, training goes on offline
            wandb.teardown()  # else the offline init below fails with "run ID in use"
            first_line = next(iter(str(error).splitlines()), "")
            reason = f"the W&B server could not be reached ({type(error).__name__}: {first_line})"
            return self._init_offline(config, reason)

    def _init(self, config: dict[str, Any], mode: str | None) -> Any:
        run = wandb.init(
            project=self.project,
            entity=self.entity,
            name=self.name,
            id=self.run_id,
            resume="allow",
            config=config,
            mode=mode,
            dir=self.dir,
            tags=self.tags,
            settings=wandb.Settings(**{**_FAIL_FAST, **_LEAN, "finish_timeout": FINISH_TIMEOUT_SECONDS, **self.settings}),
        )
        run.define_metric(UPDATE_STEP)
        run.define_metric("*", step_metric=UPDATE_STEP)
        return run

    def _init_offline(self, config: dict[str, Any], reason: str) -> Any:
        run = self._init(config, mode="offline")
        warnings.warn(
            f"{reason}; logging W&B run {run.id} offline to {os.path.dirname(run.dir)}. "
            f"Upload it later with: wandb sync {os.path.dirname(run.dir)}",
            RuntimeWarning,
            stacklevel=2,
        )
        return run


def _log_chunk(run: Any, metrics: dict[str, Any], step: int, steps_per_update: int, rates: dict[str, float]) -> None:
    """One ``run.log`` per update of the chunk that ended at update ``step`` (metrics: one host array entry each)."""
    columns = {metric_key(name): np.asarray(values).reshape(-1).tolist() for name, values in metrics.items()}
    updates = len(next(iter(columns.values())))
    for offset in range(updates):
        update = step - updates + offset + 1
        row = {key: values[offset] for key, values in columns.items()}
        run.log({**row, **rates, UPDATE_STEP: update, ENV_STEPS: update * steps_per_update})
