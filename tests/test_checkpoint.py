"""Checkpoint files: round trip, atomic layout, skipping incomplete checkpoints, keep-last-k."""

from __future__ import annotations

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.training import checkpoint as ckpt
from hackmatrix.training.model_checkpoint import ModelCheckpoint


def make_state(value: float) -> dict:
    return {
        "params": {"w": jnp.full((3, 2), value, jnp.float32)},
        "key": jax.random.key_data(jax.random.key(int(value))),
        "update": jnp.int32(int(value)),
        "per_env": jnp.arange(4, dtype=jnp.int32) * int(value),
    }


def save(dirpath: pathlib.Path, update: int) -> pathlib.Path:
    return ckpt.save_checkpoint(
        dirpath,
        make_state(float(update)),
        update=update,
        env_steps=update * 32,
        config={"seed": 1, "learning_rate": 0.5},
        config_hash="abc",
        callback_states={"Counter": {"count": update}},
    )


def test_round_trip_restores_every_leaf_and_metadata(tmp_path: pathlib.Path) -> None:
    path = save(tmp_path, 7)
    assert path == tmp_path / "ckpt-00000007.eqx" and (tmp_path / "ckpt-00000007.json").exists()
    template = jax.eval_shape(lambda: make_state(0.0))
    state, metadata = ckpt.load_checkpoint(path, template)
    for restored, original in zip(jax.tree.leaves(state), jax.tree.leaves(make_state(7.0)), strict=True):
        assert restored.dtype == original.dtype
        np.testing.assert_array_equal(restored, original)
    assert metadata["update"] == 7 and metadata["env_steps"] == 224
    assert metadata["config"] == {"seed": 1, "learning_rate": 0.5} and metadata["config_hash"] == "abc"
    assert metadata["callback_states"] == {"Counter": {"count": 7}}
    assert metadata["format_version"] == ckpt.FORMAT_VERSION and metadata["wall_time"] > 0
    # Loading by metadata path or by directory gives the same checkpoint.
    assert ckpt.load_checkpoint(path.with_suffix(".json"), template)[1] == metadata
    assert ckpt.load_checkpoint(tmp_path, template)[1] == metadata
    assert not list(tmp_path.glob("*.tmp"))


def test_last_handle_points_at_the_newest(tmp_path: pathlib.Path) -> None:
    for update in (1, 2, 3):
        save(tmp_path, update)
    assert json.loads((tmp_path / ckpt.LAST_HANDLE).read_text()) == {"checkpoint": "ckpt-00000003.eqx", "update": 3}
    assert ckpt.latest_checkpoint(tmp_path) == tmp_path / "ckpt-00000003.eqx"


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[:-3]),  # truncated state
        lambda p: p.write_bytes(b"\0" + p.read_bytes()[1:]),  # corrupted state
        lambda p: p.with_suffix(".json").unlink(),  # crashed before the metadata
        lambda p: p.with_suffix(".json").write_text("{not json"),  # torn metadata
        lambda p: p.unlink(),  # state missing
    ],
)
def test_latest_skips_incomplete_checkpoints(tmp_path: pathlib.Path, damage) -> None:
    save(tmp_path, 1)
    newest = save(tmp_path, 2)
    damage(newest)
    assert ckpt.read_metadata(newest) is None
    assert ckpt.latest_checkpoint(tmp_path) == tmp_path / "ckpt-00000001.eqx"
    with pytest.raises((ValueError, FileNotFoundError)):
        ckpt.load_checkpoint(newest, jax.eval_shape(lambda: make_state(0.0)))


def test_latest_without_checkpoints_is_none(tmp_path: pathlib.Path) -> None:
    assert ckpt.latest_checkpoint(tmp_path) is None
    assert ckpt.latest_checkpoint(tmp_path / "missing") is None
    (tmp_path / ckpt.LAST_HANDLE).write_text('{"checkpoint": "ckpt-00000009.eqx"}')
    assert ckpt.latest_checkpoint(tmp_path) is None


class FakeTrainer:
    """Just enough of a trainer for ModelCheckpoint's decisions."""

    num_updates = 100

    def __init__(self) -> None:
        self.requested: list[pathlib.Path] = []

    def request_checkpoint(self, dirpath) -> None:
        self.requested.append(pathlib.Path(dirpath))


def test_model_checkpoint_schedule_and_keep_last_k(tmp_path: pathlib.Path) -> None:
    callback = ModelCheckpoint(tmp_path, every_n_updates=25, keep_last_k=2)
    trainer = FakeTrainer()
    callback.on_fit_start(trainer, None)
    saved_at = []
    for start in range(0, 100, 10):  # chunks of 10 updates
        callback.on_chunk_start(trainer, None, start)
        callback.on_chunk_end(trainer, None, {}, start + 10)
        if trainer.requested:
            trainer.requested.clear()
            path = save(tmp_path, start + 10)
            callback.on_checkpoint(trainer, str(path), start + 10)
            saved_at.append(start + 10)
    assert saved_at == [30, 50, 80, 100]  # chunks crossing 25, 50, 75, and the end of the run
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["ckpt-00000080.eqx", "ckpt-00000100.eqx"]
    assert not (tmp_path / "ckpt-00000050.json").exists()


def test_keep_last_k_never_deletes_the_checkpoint_just_written(tmp_path: pathlib.Path) -> None:
    for update in (30, 40, 50):  # left behind by a longer run
        save(tmp_path, update)
    callback = ModelCheckpoint(tmp_path, keep_last_k=2)
    path = save(tmp_path, 20)  # a run resumed from update 10 saves at 20
    callback.on_checkpoint(FakeTrainer(), str(path), 20)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["ckpt-00000020.eqx", "ckpt-00000050.eqx"]
    assert ckpt.latest_checkpoint(tmp_path) == path


def test_model_checkpoint_every_n_minutes(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("hackmatrix.training.model_checkpoint.time.monotonic", lambda: clock[0])
    callback = ModelCheckpoint(tmp_path, every_n_minutes=2, save_on_end=False)
    trainer = FakeTrainer()
    callback.on_fit_start(trainer, None)
    requests = []
    for minute, step in [(1, 10), (2.5, 20), (3, 30)]:
        clock[0] = 1000.0 + 60 * minute
        callback.on_chunk_start(trainer, None, step - 10)
        callback.on_chunk_end(trainer, None, {}, step)
        if trainer.requested:
            trainer.requested.clear()
            requests.append(step)
            callback.on_checkpoint(trainer, str(tmp_path / "ckpt-x.eqx"), step)
    assert requests == [20]  # 2.5 minutes after the start; the next one is due 2 minutes after that save
