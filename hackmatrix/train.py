"""The command line: ``python -m hackmatrix.train`` (``examples/train_hackmatrix.py`` runs the same program).

Trains masked PPO in chunks of --log-interval updates and checkpoints to <checkpoint-dir>/<run-name>/; with
--wandb it streams metrics and checkpoints to Weights & Biases. A run continues from its newest checkpoint when it
is started again with the same --run-name or with --resume-run ID. --benchmark measures what chunking and W&B
cost against one monolithic scan. Flag values are checked before anything is compiled (exit code 2).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import pathlib
import signal
import statistics
import sys
import tempfile
import time
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from hackmatrix.ppo.config import PPOConfig
from hackmatrix.training.callback import Callback
from hackmatrix.training.checkpoint import latest_checkpoint, read_metadata
from hackmatrix.training.naming import (
    claim_run_name,
    find_run_directory,
    run_id_for,
    validate_run_name,
    validate_suffix,
)

if TYPE_CHECKING:
    from hackmatrix.env.protocol import Environment
    from hackmatrix.training.throughput import ThroughputMeter
    from hackmatrix.training.trainer import Trainer

PROG = "python -m hackmatrix.train"

#: Where the command line's defaults differ from PPOConfig's: small enough that `make train` (no flags, a 2-core
#: CPU) compiles and trains HackMatrix in a few minutes. Real runs pass their own sizes.
CLI_DEFAULTS: dict[str, Any] = {"num_envs": 32, "num_steps": 64, "total_timesteps": 32 * 64 * 40}

#: Flags whose name is not the PPOConfig field with '_' -> '-'.
_FLAG_NAMES = {"learning_rate": "--lr"}

_FIELD_HELP = {
    "num_envs": "parallel environments",
    "num_steps": "steps per environment per update (rollout length)",
    "total_timesteps": "environment steps of the whole run; updates = total-timesteps / (num-envs * num-steps)",
    "learning_rate": "Adam learning rate (> 0)",
    "gamma": "discount factor, in [0, 1]",
    "gae_lambda": "GAE lambda, in [0, 1]",
    "num_minibatches": "minibatches per epoch; must divide num-envs * num-steps",
    "update_epochs": "passes over each rollout per update",
    "clip_eps": "PPO clipping range (> 0)",
    "vf_coef": "value-loss coefficient (>= 0)",
    "ent_coef": "entropy-bonus coefficient (>= 0)",
    "max_grad_norm": "gradient clipping by global norm (> 0)",
    "hidden_dim": "width of each hidden layer",
    "num_layers": "number of hidden layers",
    "anneal_lr": "decay the learning rate linearly to 0 over the run",
    "separate_critic": "give the value head its own hidden layers",
    "seed": "PRNG seed, in [0, 2**32)",
}

ENVIRONMENTS = ("hackmatrix", "tiny")
DEFAULT_CHUNK_SIZE = 10
BENCHMARK_UPDATES = 50


def config_flag(field: str) -> str:
    """The command-line flag of a PPOConfig field."""
    return _FLAG_NAMES.get(field, "--" + field.replace("_", "-"))


def _checked(validate: Callable[[str], Any], convert: Callable[[str], Any] = str) -> Callable[[str], Any]:
    """An argparse ``type`` that converts, then validates (a ``ValueError`` becomes argparse's message)."""

    def parse(text: str) -> Any:
        try:
            return validate(convert(text))
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    return parse


def _at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be an integer >= 1; got {value}")
    return value


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError(f"must be > 0; got {value}")
    return value


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The parser; PPOConfig flags default to ``SUPPRESS`` so that :func:`parse_args` sees which were given."""
    parser = argparse.ArgumentParser(
        prog=prog,
        usage="%(prog)s [options]   (--help lists them)",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "Without --wandb nothing is sent to or written for W&B.\n"
            "--num-envs, --num-steps and --total-timesteps default to a small run that `make train` finishes in a\n"
            "few minutes on a CPU; PPOConfig's own defaults (shown beside them) are for real runs.\n"
            "A resumed run takes its hyperparameters from its checkpoint; flags given explicitly must match them\n"
            "(only --total-timesteps may change, e.g. to train longer)."
        ),
    )
    ppo = parser.add_argument_group("PPO hyperparameters (PPOConfig)")
    defaults = PPOConfig()
    types = typing.get_type_hints(PPOConfig)
    for field in dataclasses.fields(PPOConfig):
        default = CLI_DEFAULTS.get(field.name, getattr(defaults, field.name))
        note = f"default: {default}" + (
            f"; PPOConfig's: {getattr(defaults, field.name)}" if field.name in CLI_DEFAULTS else ""
        )
        kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "help": f"{_FIELD_HELP[field.name]} ({note})"}
        if types[field.name] is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs.update(type=types[field.name], metavar=types[field.name].__name__.upper())
        ppo.add_argument(config_flag(field.name), dest=field.name, **kwargs)

    run = parser.add_argument_group("training run")
    run.add_argument("--env", choices=ENVIRONMENTS, default="hackmatrix",
                     help="the game, or a tiny corridor for smoke tests (default: hackmatrix)")
    run.add_argument("--log-interval", type=_checked(_at_least_one, int), default=None, metavar="UPDATES",
                     help="updates per compiled chunk; callbacks, logging and checkpoints happen between chunks "
                          "(default: 10, or the resumed checkpoint's)")
    run.add_argument("--save-interval", type=_checked(_at_least_one, int), default=None, metavar="UPDATES",
                     help="also checkpoint every this many updates (default: off)")
    run.add_argument("--save-interval-minutes", type=_checked(_positive, float), default=10.0, metavar="MINUTES",
                     help="checkpoint when this many minutes passed since the last checkpoint (default: 10)")
    run.add_argument("--checkpoint-dir", type=pathlib.Path, default=pathlib.Path("checkpoints"), metavar="DIR",
                     help="checkpoints go to DIR/<run-name>/ (default: checkpoints)")
    run.add_argument("--run-name", type=_checked(validate_run_name), default=None,
                     help="name of the run, used as given; the W&B run id is derived from it, so starting again "
                          "with the same name continues the run from its newest checkpoint (default: "
                          "hackmatrix-jax-YYMMDD-N, N one more than the largest used that day in --checkpoint-dir)")
    run.add_argument("--run-suffix", type=_checked(validate_suffix), default=None,
                     help="appended to the generated name: hackmatrix-jax-YYMMDD-N-SUFFIX")
    run.add_argument("--resume-run", metavar="ID",
                     help="continue the run with this W&B id (or name) from its newest checkpoint in "
                          "--checkpoint-dir, else (with --wandb, online) from its newest W&B model artifact")
    run.add_argument("--compile-cache", default=default_compile_cache(), metavar="DIR",
                     help="keep compiled XLA programs in DIR: a restarted or resumed run of the same config on this "
                          "machine loads them instead of compiling again; an empty string turns the cache off "
                          "(default: $JAX_COMPILATION_CACHE_DIR, else $XDG_CACHE_HOME/hackmatrix/xla, else "
                          "~/.cache/hackmatrix/xla)")
    run.add_argument("--benchmark", action="store_true",
                     help=f"instead of training, time {BENCHMARK_UPDATES} updates of this config three ways "
                          "(monolithic scan, chunked, chunked + offline W&B with artifacts) and print the overheads")
    run.add_argument("--benchmark-repeats", type=_checked(_at_least_one, int), default=5, metavar="N",
                     help="timed repetitions of each --benchmark variant; the median is reported (default: 5)")

    wandb_group = parser.add_argument_group("Weights & Biases")
    wandb_group.add_argument("--wandb", action="store_true",
                             help="log to W&B (falls back to offline mode, with a warning, when no server or API key "
                                  "is available; WANDB_MODE is honoured)")
    wandb_group.add_argument("--project", default="hackmatrix", help="W&B project (default: hackmatrix)")
    wandb_group.add_argument("--entity", default=os.environ.get("WANDB_ENTITY", "charles-team"),
                             help="W&B entity (default: $WANDB_ENTITY, else charles-team)")
    wandb_group.add_argument("--no-artifact", action="store_true",
                             help="do not upload checkpoints as W&B model artifacts")
    return parser


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """What :func:`main` will do, decided from the flags before anything is compiled."""

    config: PPOConfig
    chunk_size: int
    run_name: str
    run_id: str
    run_dir: pathlib.Path
    resume_from: pathlib.Path | None


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The flags, with conflicting combinations rejected (exit code 2)."""
    args = parser.parse_args(argv)
    if args.run_name is not None and args.resume_run is not None:
        parser.error("argument --run-name: not allowed with --resume-run (the resumed run keeps its name)")
    if args.run_suffix is not None and (args.run_name is not None or args.resume_run is not None):
        parser.error("argument --run-suffix: applies only to generated names (not with --run-name or --resume-run)")
    return args


def new_config(parser: argparse.ArgumentParser, args: argparse.Namespace) -> PPOConfig:
    """The config of a new run: the command line's defaults, overridden by the flags given."""
    return _config(parser, {**CLI_DEFAULTS, **_explicit_config(args)})


def _explicit_config(args: argparse.Namespace) -> dict[str, Any]:
    fields = [field.name for field in dataclasses.fields(PPOConfig)]
    return {name: getattr(args, name) for name in fields if hasattr(args, name)}


def _config(parser: argparse.ArgumentParser, values: dict[str, Any]) -> PPOConfig:
    """``PPOConfig(**values)``, validated; an invalid field is reported under its flag."""
    try:
        return PPOConfig(**values).validate()
    except ValueError as error:
        field = str(error).split(" ", 1)[0]
        if field in {f.name for f in dataclasses.fields(PPOConfig)}:
            parser.error(f"argument {config_flag(field)}: {error}")
        parser.error(str(error))


def plan_run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> RunPlan:
    """Names the run, finds the checkpoint it continues from (if any) and its config; exits with code 2 if the
    flags are invalid or a resume is impossible. A generated name is claimed only once the flags are valid."""
    run_name: str | None = args.run_name
    checkpoint: pathlib.Path | None = None
    if args.resume_run is not None:
        run_dir = find_run_directory(args.checkpoint_dir, args.resume_run)
        checkpoint = (latest_checkpoint(run_dir) if run_dir else None) or _download_checkpoint(parser, args)
        run_name = checkpoint.parent.name
    elif run_name is not None:
        checkpoint = latest_checkpoint(args.checkpoint_dir / run_name)
    if checkpoint is None:
        config = new_config(parser, args)
        chunk_size = args.log_interval or DEFAULT_CHUNK_SIZE
        run_name = run_name or claim_run_name(args.checkpoint_dir, suffix=args.run_suffix)
    else:
        metadata = read_metadata(checkpoint)
        config = _config(parser, {**metadata["config"], **_explicit_config(args)})
        for field in config.training_differences(metadata["config"]):
            parser.error(
                f"argument {config_flag(field)}: run {run_name} was trained with {metadata['config'].get(field)!r}; "
                "a resumed run keeps its hyperparameters (leave the flag out)"
            )
        chunk_size = args.log_interval or metadata.get("chunk_size", DEFAULT_CHUNK_SIZE)
    # An id given to --resume-run is kept as it is (W&B may know the run under it); a name gives its derived id.
    run_id = args.resume_run if args.resume_run not in (None, run_name) else run_id_for(run_name)
    return RunPlan(config, chunk_size, run_name, run_id, args.checkpoint_dir / run_name, resume_from=checkpoint)


def _download_checkpoint(parser: argparse.ArgumentParser, args: argparse.Namespace) -> pathlib.Path:
    where = f"no checkpoint of run {args.resume_run} in {args.checkpoint_dir}/"
    if not args.wandb:
        parser.error(f"argument --resume-run: {where} (with --wandb, its newest W&B artifact would be fetched)")
    from hackmatrix.training.artifacts import download_latest_checkpoint
    from hackmatrix.training.wandb_logger import OFFLINE_MODES

    if os.environ.get("WANDB_MODE", "online") in OFFLINE_MODES:
        parser.error(f"argument --resume-run: {where}, and WANDB_MODE={os.environ['WANDB_MODE']} keeps W&B offline")
    try:
        return download_latest_checkpoint(args.entity, args.project, args.resume_run, args.checkpoint_dir)
    except LookupError as error:
        parser.error(f"argument --resume-run: {where}, and {error}")


def make_env(name: str) -> "Environment":
    if name == "tiny":
        from hackmatrix.env.tiny_corridor import TinyCorridor

        return TinyCorridor()
    from hackmatrix.game.env import HackMatrix

    return HackMatrix()


class StopOnSignal(Callback):
    """Turns SIGTERM / SIGINT into a clean stop at the next chunk boundary: a checkpoint is written there, then
    ``SystemExit(128 + signal)`` ends ``fit`` (so the W&B run records that exit code). A second signal stops at once.

    Register it last: it raises from ``on_checkpoint``, after every other callback has seen the checkpoint.
    Install the handlers around ``fit`` with :meth:`handling_signals`.
    """

    def __init__(self, dirpath: pathlib.Path) -> None:
        self.dirpath = dirpath
        self.signum: int | None = None

    @contextlib.contextmanager
    def handling_signals(self) -> Iterator[None]:
        previous = {signum: signal.signal(signum, self._handle) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            raise SystemExit(128 + signum)
        self.signum = signum
        print(f"\n{signal.Signals(signum).name}: stopping after this chunk with a checkpoint "
              "(send it again to stop at once)", file=sys.stderr, flush=True)

    def on_chunk_end(self, trainer: "Trainer", state: Any, metrics: dict[str, Any], step: int) -> None:
        if self.signum is not None:
            trainer.request_checkpoint(self.dirpath)

    def on_checkpoint(self, trainer: "Trainer", path: str, step: int) -> None:
        if self.signum is not None:
            raise SystemExit(128 + self.signum)


class ProgressPrinter(Callback):
    """One line per chunk: updates done, environment steps, the last update's mean episode return, throughput.

    For output that is not a terminal (a log file on a VM, a notebook's ``!python ...``), where a live progress bar
    shows nothing until it stops."""

    def __init__(self, throughput: "ThroughputMeter") -> None:
        self.throughput = throughput

    def on_chunk_end(self, trainer: "Trainer", state: Any, metrics: dict[str, Any], step: int) -> None:
        print(
            f"update {step:>6}/{trainer.num_updates}  env steps {trainer.env_steps:>12,}  "
            f"return {float(metrics['mean_episode_return'][-1]):8.3f}  "
            f"{self.throughput.steps_per_second:>10,.0f} steps/s",
            flush=True,
        )


def make_callbacks(args: argparse.Namespace, plan: RunPlan, stop: StopOnSignal) -> list[Callback]:
    """Throughput, checkpoints and progress; then W&B (logger, artifacts) if asked; the signal stop last."""
    from hackmatrix.training.model_checkpoint import ModelCheckpoint
    from hackmatrix.training.progress import ProgressBar
    from hackmatrix.training.throughput import ThroughputMeter

    throughput = ThroughputMeter()
    callbacks: list[Callback] = [
        throughput,
        ModelCheckpoint(plan.run_dir, every_n_updates=args.save_interval, every_n_minutes=args.save_interval_minutes),
        ProgressBar() if sys.stdout.isatty() else ProgressPrinter(throughput),
    ]
    if args.wandb:
        from hackmatrix.training.artifacts import ArtifactUploader
        from hackmatrix.training.wandb_logger import WandbLogger

        callbacks.append(WandbLogger(project=args.project, entity=args.entity, name=plan.run_name, run_id=plan.run_id))
        if not args.no_artifact:
            callbacks.append(ArtifactUploader())
    return [*callbacks, stop]


def default_compile_cache() -> str:
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return os.environ["JAX_COMPILATION_CACHE_DIR"]
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache_home, "hackmatrix", "xla")


def use_compile_cache(directory: str) -> None:
    """Turns JAX's persistent compilation cache on in ``directory`` (off if empty). Must run before the first
    compilation of the process: JAX fixes the cache location then."""
    import jax

    # JAX keeps only programs that took at least jax_persistent_cache_min_compile_time_secs (1 s) to compile.
    jax.config.update("jax_compilation_cache_dir", directory or None)


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Runs the command line; returns the exit code (a signal stop exits with 128 + signal via ``SystemExit``)."""
    parser = build_parser(prog)
    args = parse_args(parser, argv)
    use_compile_cache(args.compile_cache)
    if args.benchmark:
        return run_benchmark(args, new_config(parser, args))
    plan = plan_run(parser, args)
    from hackmatrix.training.ppo_trainer import PPOTrainer

    stop = StopOnSignal(plan.run_dir)
    trainer = PPOTrainer(make_env(args.env), plan.config, callbacks=make_callbacks(args, plan, stop),
                         chunk_size=plan.chunk_size)
    try:
        with stop.handling_signals():
            if plan.resume_from is not None:
                print(f"Resuming run {plan.run_name} (id {plan.run_id}) from {plan.resume_from}", flush=True)
            print(f"Run {plan.run_name} (id {plan.run_id}): {plan.config.num_updates} updates of "
                  f"{plan.config.batch_size} environment steps; compiling...", flush=True)
            trainer.fit(resume_from=plan.resume_from)
    finally:
        _print_resume_hint(args, plan, prog)
    return 0


def _print_resume_hint(args: argparse.Namespace, plan: RunPlan, prog: str) -> None:
    newest = latest_checkpoint(plan.run_dir)
    if newest is None:
        print(f"No checkpoint was written to {plan.run_dir}/.", flush=True)
        return
    flags = f" --checkpoint-dir {args.checkpoint_dir}" if args.checkpoint_dir != pathlib.Path("checkpoints") else ""
    flags += " --wandb" if args.wandb else ""
    if read_metadata(newest)["update"] >= plan.config.num_updates:  # finished: continuing means training longer
        flags += f" --total-timesteps {2 * plan.config.total_timesteps}"
    print(f"Checkpoints: {plan.run_dir}/ (newest: {newest.name}).\n"
          f"Continue this run with: {prog} --resume-run {plan.run_id}{flags}", flush=True)


def run_benchmark(args: argparse.Namespace, config: PPOConfig) -> int:
    """Times ``BENCHMARK_UPDATES`` updates monolithic, chunked and chunked + W&B (offline, with artifacts).

    All three run on one trainer (so each executable compiles once, in a warm-up round); the variants alternate
    within each repetition, so that drifts of the machine affect them alike. The fixed cost of starting and
    finishing a W&B run (independent of the run's length) is timed on its own too. Prints medians and overheads.
    """
    from hackmatrix.training.artifacts import ArtifactUploader
    from hackmatrix.training.model_checkpoint import ModelCheckpoint
    from hackmatrix.training.ppo_trainer import PPOTrainer
    from hackmatrix.training.throughput import ThroughputMeter
    from hackmatrix.training.wandb_logger import WandbLogger

    config = dataclasses.replace(config, total_timesteps=BENCHMARK_UPDATES * config.batch_size)
    chunk_size = args.log_interval or DEFAULT_CHUNK_SIZE
    with tempfile.TemporaryDirectory(prefix="hackmatrix-benchmark-") as workdir:
        plain = [ThroughputMeter(), ModelCheckpoint(pathlib.Path(workdir) / "checkpoints")]
        logger = WandbLogger(project=args.project, entity=args.entity, mode="offline", dir=workdir)
        logged = [*plain, logger, ArtifactUploader()]
        trainer = PPOTrainer(make_env(args.env), config, chunk_size=chunk_size)

        def fit_with(callbacks: list[Callback]) -> Callable[[], Any]:
            def fit() -> Any:
                trainer.callbacks = callbacks
                return trainer.fit()

            return fit

        def start_and_finish_wandb_run() -> None:
            trainer.callbacks = logged
            logger.setup(trainer)
            logger.on_fit_end(trainer, None)
            logger.teardown(trainer)

        variants = {
            "monolithic": lambda: trainer.train_monolithic(BENCHMARK_UPDATES),
            "chunked": fit_with(plain),
            "chunked + W&B": fit_with(logged),
            WANDB_START_FINISH: start_and_finish_wandb_run,
        }
        print(f"Benchmark: {BENCHMARK_UPDATES} updates of {config.batch_size} environment steps ({args.env}), "
              f"chunks of {chunk_size}; compiling...", flush=True)
        seconds = time_interleaved(variants, args.benchmark_repeats)
    print(format_benchmark(seconds))
    return 0


def time_interleaved(variants: dict[str, Callable[[], Any]], repeats: int) -> dict[str, dict[str, list[float]]]:
    """Runs every variant once (the warm-up, which compiles), then ``repeats`` rounds of all of them in turn, so
    that drifts of the machine affect them alike. Returns the seconds of each timed run by clock ("wall", and
    "CPU": this process's CPU time, which other load on the machine disturbs less) and variant."""
    for run in variants.values():
        run()
    seconds: dict[str, dict[str, list[float]]] = {"wall": {}, "CPU": {}}
    for _ in range(repeats):
        for name, run in variants.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            seconds["wall"].setdefault(name, []).append(time.perf_counter() - start)
            seconds["CPU"].setdefault(name, []).append(time.process_time() - start_cpu)
    return seconds


WANDB_START_FINISH = "W&B start + finish"


def format_benchmark(seconds: dict[str, dict[str, list[float]]]) -> str:
    """The table of median seconds per variant and overheads versus monolithic, for each clock in ``seconds``
    (wall time, and this process's CPU time, which other load on the machine disturbs less); chunked + W&B also
    without the W&B run's fixed start/finish cost."""
    without_start_finish = f"  less {WANDB_START_FINISH}"
    columns = {}
    for clock, times in seconds.items():
        medians = {name: statistics.median(values) for name, values in times.items()}
        medians[without_start_finish] = medians["chunked + W&B"] - medians.pop(WANDB_START_FINISH)
        columns[clock] = medians
    lines = [f"{'variant':<28}" + "".join(f"{clock + ' s':>10}{'overhead':>11}" for clock in columns)]
    for name in next(iter(columns.values())):
        line = f"{name:<28}"
        for medians in columns.values():
            overhead = "" if name == "monolithic" else f"{100 * (medians[name] / medians['monolithic'] - 1):+.2f} %"
            line += f"{medians[name]:>10.3f}{overhead:>11}"
        lines.append(line)
    wall = next(iter(seconds.values()))
    lines.append(
        f"(medians of {len(wall['monolithic'])} repetitions; goals: chunked <= 0.5 %, chunked + W&B <= 1 %. "
        f"{WANDB_START_FINISH}: {statistics.median(wall[WANDB_START_FINISH]):.3f} s, once per run whatever its "
        "length. CPU: this process only, not the wandb-core service.)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
