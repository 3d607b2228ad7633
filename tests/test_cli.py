"""The command line: flags, validation before compiling, and (in a few small subprocesses) naming, SIGTERM, resume
and --benchmark."""

from __future__ import annotations

import dataclasses
import datetime
import os
import pathlib
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from wandb_reader import read_runs

import hackmatrix as hm
from hackmatrix.train import (
    CLI_DEFAULTS,
    build_parser,
    config_flag,
    format_benchmark,
    main,
    new_config,
    parse_args,
    plan_run,
)
from hackmatrix.training.checkpoint import latest_checkpoint, read_metadata, save_checkpoint
from hackmatrix.training.naming import run_id_for

REPO = pathlib.Path(__file__).resolve().parent.parent
#: A tiny-env run whose updates take milliseconds (32 environment steps each).
TINY = ["--env", "tiny", "--num-envs", "4", "--num-steps", "8", "--num-minibatches", "2", "--hidden-dim", "16",
        "--num-layers", "1"]  # fmt: skip

#: One valid value per PPOConfig field, none of them the default.
EVERY_FIELD = {
    "num_envs": 3, "num_steps": 5, "total_timesteps": 30, "learning_rate": 1e-3, "gamma": 0.9, "gae_lambda": 0.8,
    "num_minibatches": 5, "update_epochs": 2, "clip_eps": 0.1, "vf_coef": 0.25, "ent_coef": 0.01,
    "max_grad_norm": 1.0, "hidden_dim": 8, "num_layers": 3, "anneal_lr": False, "separate_critic": True, "seed": 7,
}  # fmt: skip


def _flags(values: dict[str, object]) -> list[str]:
    argv: list[str] = []
    for field, value in values.items():
        if isinstance(value, bool):
            argv.append(config_flag(field) if value else "--no-" + config_flag(field)[2:])
        else:
            argv += [config_flag(field), str(value)]
    return argv


def test_every_ppo_config_field_has_a_flag_that_sets_it() -> None:
    assert EVERY_FIELD.keys() == {field.name for field in dataclasses.fields(hm.PPOConfig)}
    parser = build_parser()
    config = new_config(parser, parse_args(parser, _flags(EVERY_FIELD)))
    assert config == hm.PPOConfig(**EVERY_FIELD)
    assert EVERY_FIELD != dataclasses.asdict(hm.PPOConfig())


def test_learning_rate_flag_is_lr() -> None:
    assert config_flag("learning_rate") == "--lr"


def test_without_flags_the_cli_defaults_apply_and_the_rest_is_ppoconfigs() -> None:
    parser = build_parser()
    args = parse_args(parser, [])
    assert new_config(parser, args) == hm.PPOConfig(**CLI_DEFAULTS)
    assert new_config(parser, args).num_updates >= 1
    assert (args.log_interval, args.save_interval_minutes) == (None, 10.0)
    assert args.checkpoint_dir == pathlib.Path("checkpoints")
    assert (args.wandb, args.project, args.env) == (False, "hackmatrix", "hackmatrix")


def test_entity_defaults_to_wandb_entity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_ENTITY", raising=False)
    assert parse_args(build_parser(), []).entity == "charles-team"
    monkeypatch.setenv("WANDB_ENTITY", "someone-else")
    assert parse_args(build_parser(), []).entity == "someone-else"


def test_help_explains_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    flags = [config_flag(field.name) for field in dataclasses.fields(hm.PPOConfig)] + [
        "--log-interval", "--save-interval", "--save-interval-minutes", "--checkpoint-dir", "--wandb", "--project",
        "--entity", "--run-name", "--run-suffix", "--resume-run", "--no-artifact", "--benchmark",
    ]  # fmt: skip
    for flag in flags:
        assert re.search(rf"^\s+{re.escape(flag)}\b.*\S", text, re.MULTILINE), flag
    assert "PPOConfig's: 256" in text  # the CLI's smaller defaults are pointed out


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--num-envs", "0"], "--num-envs"),
        (["--num-envs", "many"], "--num-envs"),
        (["--lr", "-1"], "--lr"),
        (["--gamma", "1.5"], "--gamma"),
        (["--num-minibatches", "3"], "--num-minibatches"),
        (["--total-timesteps", "10"], "--total-timesteps"),
        (["--log-interval", "0"], "--log-interval"),
        (["--save-interval", "-5"], "--save-interval"),
        (["--save-interval-minutes", "0"], "--save-interval-minutes"),
        (["--env", "chess"], "--env"),
        (["--run-name", ""], "--run-name"),
        (["--run-name", "a/b"], "--run-name"),
        (["--run-suffix", "a b"], "--run-suffix"),
        (["--run-name", "x", "--run-suffix", "y"], "--run-suffix"),
        (["--run-name", "x", "--resume-run", "y"], "--run-name"),
        (["--resume-run", "0123abcd"], "--resume-run"),
        (["--resume-run", "0123abcd", "--wandb"], "--resume-run"),  # W&B is offline in the tests
    ],
)
def test_bad_values_exit_with_2_naming_the_flag_before_anything_is_created(
    argv: list[str], flag: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as rejected:
        main([*argv, "--checkpoint-dir", str(tmp_path / "checkpoints")])
    assert rejected.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err
    assert not (tmp_path / "checkpoints").exists() or not any((tmp_path / "checkpoints").glob("hackmatrix-jax-*"))


def _saved_run(checkpoint_dir: pathlib.Path, name: str, config: hm.PPOConfig, update: int) -> pathlib.Path:
    """A run directory holding one checkpoint of ``config`` after ``update`` updates (chunks of 3)."""
    return save_checkpoint(
        checkpoint_dir / name,
        {"weights": np.zeros(2, np.float32)},
        update=update,
        env_steps=update * config.batch_size,
        config=config.to_dict(),
        config_hash=config.config_hash(),
        callback_states={},
        extra={"chunk_size": 3},
    )


SAVED_CONFIG = hm.PPOConfig(num_envs=4, num_steps=8, total_timesteps=4 * 8 * 20, num_minibatches=2, seed=5)


@pytest.mark.parametrize(
    "how", [["--run-name", "my-run"], ["--resume-run", "my-run"], ["--resume-run", run_id_for("my-run")]]
)
def test_same_name_or_id_continues_the_run_from_its_checkpoint_with_its_config(
    how: list[str], tmp_path: pathlib.Path
) -> None:
    checkpoint = _saved_run(tmp_path, "my-run", SAVED_CONFIG, update=7)
    parser = build_parser()
    plan = plan_run(parser, parse_args(parser, [*how, "--checkpoint-dir", str(tmp_path), "--total-timesteps", "1280"]))
    assert plan.resume_from == checkpoint
    assert (plan.run_name, plan.run_id, plan.run_dir) == ("my-run", run_id_for("my-run"), tmp_path / "my-run")
    assert plan.config == dataclasses.replace(SAVED_CONFIG, total_timesteps=1280)
    assert plan.chunk_size == 3


def test_a_resumed_run_rejects_flags_that_change_training(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _saved_run(tmp_path, "my-run", SAVED_CONFIG, update=7)
    parser = build_parser()
    with pytest.raises(SystemExit) as rejected:
        plan_run(parser, parse_args(parser, ["--run-name", "my-run", "--checkpoint-dir", str(tmp_path), "--seed", "6"]))
    assert rejected.value.code == 2
    assert "argument --seed: run my-run was trained with 5" in capsys.readouterr().err


def test_a_new_name_starts_a_new_run(tmp_path: pathlib.Path) -> None:
    parser = build_parser()
    plan = plan_run(parser, parse_args(parser, ["--run-name", "fresh", "--checkpoint-dir", str(tmp_path)]))
    assert (plan.resume_from, plan.run_id, plan.chunk_size) == (None, run_id_for("fresh"), 10)
    assert plan.config == hm.PPOConfig(**CLI_DEFAULTS)


def _environment() -> dict[str, str]:
    """The test's isolated W&B variables, plus the package on the path and the shared compilation cache."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "JAX_COMPILATION_CACHE_DIR": str(REPO / ".jax_cache"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    }


def test_sigterm_stops_at_a_checkpoint_and_resume_run_continues_the_same_wandb_run(
    isolated_wandb: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    checkpoint_dir = tmp_path / "checkpoints"
    updates = 3000  # far more than run before the signal arrives
    argv = [*TINY, "--total-timesteps", str(32 * updates), "--log-interval", "1", "--wandb",
            "--checkpoint-dir", str(checkpoint_dir)]  # fmt: skip
    job = subprocess.Popen(
        [sys.executable, str(REPO / "examples" / "train_hackmatrix.py"), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_environment(),
    )
    output = []
    for line in job.stdout:
        output.append(line)
        if "compiling..." in line:  # the signal handlers are installed: stop after the first chunk that ends
            job.send_signal(signal.SIGTERM)
            break
    output.append(job.communicate(timeout=120)[0])
    assert job.returncode == 128 + signal.SIGTERM, "".join(output)

    (run_dir,) = checkpoint_dir.glob("hackmatrix-jax-*")
    assert run_dir.name == f"hackmatrix-jax-{datetime.date.today():%y%m%d}-1"
    run_id = run_id_for(run_dir.name)
    stopped_at = read_metadata(latest_checkpoint(run_dir))["update"]
    assert 1 <= stopped_at < updates
    assert f"--resume-run {run_id} --checkpoint-dir {checkpoint_dir} --wandb" in "".join(output)

    resumed_updates = stopped_at + 3
    subprocess.run(
        [sys.executable, "-m", "hackmatrix.train", "--env", "tiny", "--resume-run", run_id, "--wandb",
         "--total-timesteps", str(32 * resumed_updates), "--checkpoint-dir", str(checkpoint_dir)],
        check=True,
        env=_environment(),
        capture_output=True,
    )  # fmt: skip
    assert read_metadata(latest_checkpoint(run_dir))["update"] == resumed_updates

    first, resumed = read_runs(isolated_wandb / "dir", run_id=run_id)
    assert first.display_name == resumed.display_name == run_dir.name
    assert (first.exit_code, resumed.exit_code) == (128 + signal.SIGTERM, 0)
    assert round(first.history[-1]["train/update_step"]) == stopped_at
    assert first.artifacts[-1].metadata["update_step"] == stopped_at
    assert [round(row["train/update_step"]) for row in resumed.history] == list(
        range(stopped_at + 1, resumed_updates + 1)
    )
    assert resumed.config["num_envs"] == 4  # from the checkpoint, not the CLI default


def test_compile_cache_keeps_compiled_programs_in_its_directory_and_an_empty_value_turns_it_off(
    isolated_wandb: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    def train(*flags: str, environment: dict[str, str]) -> None:
        argv = [*TINY, "--total-timesteps", "64", "--log-interval", "1", "--checkpoint-dir", str(tmp_path), *flags]
        subprocess.run([sys.executable, "-m", "hackmatrix.train", *argv], check=True, env=environment,
                       capture_output=True)  # fmt: skip

    chosen, from_environment = tmp_path / "chosen", tmp_path / "from-environment"
    environment = {**_environment(), "JAX_COMPILATION_CACHE_DIR": str(from_environment)}
    train("--compile-cache", str(chosen), environment=environment)
    assert list(chosen.iterdir()) and not from_environment.exists()
    train("--compile-cache", "", environment=environment)
    assert not from_environment.exists()
    train(environment=environment)  # the default follows JAX_COMPILATION_CACHE_DIR
    assert list(from_environment.iterdir())


def test_benchmark_prints_the_three_variants_and_their_overheads(isolated_wandb: pathlib.Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "hackmatrix.train", *TINY, "--benchmark", "--benchmark-repeats", "1"],
        check=True,
        env=_environment(),
        capture_output=True,
        text=True,
    )
    variant = r"monolithic|chunked|chunked \+ W&B|  less W&B start \+ finish"
    number, overhead = r"\s+(-?[\d.]+)", r"\s*([+-][\d.]+ %)?"
    rows = {
        match[1].strip(): match.groups()[1:]
        for match in re.finditer(rf"^({variant}){number}{overhead}{number}{overhead}$", completed.stdout, re.MULTILINE)
    }
    assert rows.keys() == {"monolithic", "chunked", "chunked + W&B", "less W&B start + finish"}, completed.stdout
    assert rows["monolithic"][1] is rows["monolithic"][3] is None
    assert all(overhead for name, row in rows.items() if name != "monolithic" for overhead in row[1::2])
    assert re.search(r"W&B start \+ finish: [\d.]+ s, once per run", completed.stdout)
    assert not list((isolated_wandb / "dir").rglob("*.wandb"))  # its W&B runs lived in a temporary directory


def test_benchmark_overheads_are_relative_to_monolithic() -> None:
    wall = {
        "monolithic": [2.0, 1.9, 2.2],
        "chunked": [2.01, 2.0, 2.4],
        "chunked + W&B": [2.1, 2.05, 2.3],
        "W&B start + finish": [0.05, 0.04, 0.06],
    }
    cpu = {name: [2 * value for value in values] for name, values in wall.items()}
    table = format_benchmark({"wall": wall, "CPU": cpu})
    for name, median in [("chunked", 2.01), ("chunked + W&B", 2.1), ("less W&B start + finish", 2.1 - 0.05)]:
        overhead = f"{100 * (median / 2.0 - 1):+.2f} %"
        cells = [f"{median:.3f}", overhead, f"{2 * median:.3f}", overhead]
        row = rf"^\s*{re.escape(name)}" + "".join(rf"\s+{re.escape(cell)}" for cell in cells) + "$"
        assert re.search(row, table, re.MULTILINE), (name, table)
