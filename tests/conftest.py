"""Test-session setup shared by every test file.

Order matters: the jaxtyping import hook must be installed before anything imports ``hackmatrix``, so that every
annotated function of the package is checked at runtime by beartype during the tests.
"""

from __future__ import annotations

import os
import pathlib
import sys
from collections.abc import Iterator

import jaxtyping

jaxtyping.install_import_hook("hackmatrix", "beartype.beartype")

import hypothesis  # noqa: E402
import jax  # noqa: E402
import pytest  # noqa: E402

_REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

# A repeated test process reuses compiled XLA executables instead of recompiling them (the cache dir is gitignored;
# JAX_COMPILATION_CACHE_DIR points it elsewhere, e.g. at an empty directory to time a cold run).
# Set in the environment too, so that the command line run in-process (whose --compile-cache defaults to it) uses it.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(_REPO_ROOT / ".jax_cache"))
jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

# The first example of a property test compiles, which blows hypothesis's default 200 ms deadline. Few examples by
# default keep `make test` fast; HYPOTHESIS_PROFILE=thorough runs more.
hypothesis.settings.register_profile(
    "default", deadline=None, max_examples=6, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.register_profile(
    "thorough", deadline=None, max_examples=100, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def isolated_wandb(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pathlib.Path]:
    """Every test gets its own offline, silent W&B directories, so runs never leak into the repo or each other.

    The W&B client reads its environment once per process, so it is torn down after each test that imported it.
    """
    wandb_root = tmp_path / "wandb_env"
    for variable, subdir in [
        ("WANDB_DIR", "dir"),
        ("WANDB_DATA_DIR", "data"),
        ("WANDB_CACHE_DIR", "cache"),
        ("WANDB_CONFIG_DIR", "config"),
    ]:
        (wandb_root / subdir).mkdir(parents=True)
        monkeypatch.setenv(variable, str(wandb_root / subdir))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    yield wandb_root
    if "wandb" in sys.modules:
        sys.modules["wandb"].teardown()


@pytest.fixture(scope="session")
def tiny_config():
    """A PPO config on the tiny corridor small enough to compile and run in seconds. Tests that train with it (and
    the same chunk sizes) share compiled executables through the persistent compilation cache."""
    import hackmatrix as hm

    return hm.PPOConfig(
        num_envs=4,
        num_steps=8,
        total_timesteps=4 * 8 * 5,
        num_minibatches=2,
        update_epochs=2,
        hidden_dim=16,
        num_layers=1,
        seed=3,
    )
