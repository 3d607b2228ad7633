"""Checkpoint files: the complete training state serialised with Equinox, plus JSON metadata, written atomically.

Layout of a checkpoint directory::

    ckpt-00000120.eqx    the state pytree (``eqx.tree_serialise_leaves``; no pickle)
    ckpt-00000120.json   metadata, written after the state: format version, update, env steps, config, config
                         hash, callback states, wall time, and the size and SHA-256 of the .eqx file
    last.json            {"checkpoint": "ckpt-00000120.eqx", "update": 120}: the newest complete checkpoint

Every file is written to a temporary name, fsync-ed and renamed over the final name, so a crash leaves either the
old file or the new one. A checkpoint is *complete* when its metadata parses and the .eqx file has the recorded
size and digest; readers skip the others.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pathlib
import re
import time
from typing import Any

import equinox as eqx

FORMAT_VERSION = 1
LAST_HANDLE = "last.json"
_NAME = re.compile(r"ckpt-(\d{8})\.eqx")


def checkpoint_path(dirpath: str | os.PathLike[str], update: int) -> pathlib.Path:
    """The .eqx path of the checkpoint taken after ``update`` updates (its metadata sits beside it, ``.json``)."""
    return pathlib.Path(dirpath) / f"ckpt-{update:08d}.eqx"


def metadata_path(path: str | os.PathLike[str]) -> pathlib.Path:
    return pathlib.Path(path).with_suffix(".json")


def save_checkpoint(
    dirpath: str | os.PathLike[str],
    state: Any,
    *,
    update: int,
    env_steps: int,
    config: dict[str, Any],
    config_hash: str,
    callback_states: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> pathlib.Path:
    """Writes the checkpoint of ``state`` after ``update`` updates and points ``last.json`` at it.

    Returns the .eqx path. ``extra`` adds JSON-compatible entries to the metadata.
    """
    dirpath = pathlib.Path(dirpath)
    dirpath.mkdir(parents=True, exist_ok=True)
    path = checkpoint_path(dirpath, update)
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, state)
    payload = buffer.getvalue()
    _write_atomically(path, payload)
    metadata = {
        "format_version": FORMAT_VERSION,
        "update": update,
        "env_steps": env_steps,
        "config": config,
        "config_hash": config_hash,
        "callback_states": callback_states,
        "wall_time": time.time(),
        "state_bytes": len(payload),
        "state_sha256": hashlib.sha256(payload).hexdigest(),
        **(extra or {}),
    }
    _write_atomically(metadata_path(path), json.dumps(metadata, indent=1).encode())
    _write_atomically(dirpath / LAST_HANDLE, json.dumps({"checkpoint": path.name, "update": update}).encode())
    return path


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The metadata of the checkpoint at ``path`` (.eqx or .json) if it is complete, else ``None``."""
    complete = _read_complete(path)
    return None if complete is None else complete[0]


def list_checkpoints(dirpath: str | os.PathLike[str]) -> list[pathlib.Path]:
    """The .eqx files of ``dirpath`` that look like checkpoints (complete or not), oldest update first."""
    dirpath = pathlib.Path(dirpath)
    if not dirpath.is_dir():
        return []
    return sorted(p for p in dirpath.iterdir() if _NAME.fullmatch(p.name))


def latest_checkpoint(dirpath: str | os.PathLike[str]) -> pathlib.Path | None:
    """The .eqx path of the newest complete and readable checkpoint in ``dirpath``, or ``None``.

    Follows ``last.json`` when it points at a complete checkpoint, else scans the directory (newest first).
    """
    dirpath = pathlib.Path(dirpath)
    try:
        pointed = dirpath / json.loads((dirpath / LAST_HANDLE).read_text())["checkpoint"]
    except (OSError, ValueError, KeyError, TypeError):
        pointed = None
    candidates = ([pointed] if pointed is not None else []) + list_checkpoints(dirpath)[::-1]
    return next((path for path in candidates if read_metadata(path) is not None), None)


def load_checkpoint(path: str | os.PathLike[str], template_state: Any) -> tuple[Any, dict[str, Any]]:
    """``(state, metadata)`` of a checkpoint given by its .eqx or .json path or by its run directory (the latest).

    ``template_state`` gives the structure, shapes and dtypes (arrays or ``jax.ShapeDtypeStruct`` leaves).
    """
    path = pathlib.Path(path)
    if path.is_dir():
        latest = latest_checkpoint(path)
        if latest is None:
            raise FileNotFoundError(f"no complete checkpoint in {path}")
        path = latest
    complete = _read_complete(path)
    if complete is None:
        raise ValueError(f"{path} is not a complete checkpoint of format version {FORMAT_VERSION}")
    metadata, payload = complete
    return eqx.tree_deserialise_leaves(io.BytesIO(payload), template_state), metadata


def delete_checkpoint(path: str | os.PathLike[str]) -> None:
    """Removes a checkpoint, metadata first so that it never looks complete while half-deleted."""
    metadata_path(path).unlink(missing_ok=True)
    pathlib.Path(path).with_suffix(".eqx").unlink(missing_ok=True)


def _read_complete(path: str | os.PathLike[str]) -> tuple[dict[str, Any], bytes] | None:
    """``(metadata, state bytes)`` if the checkpoint at ``path`` is complete, else ``None``."""
    path = metadata_path(path)
    try:
        metadata = json.loads(path.read_text())
        payload = path.with_suffix(".eqx").read_bytes()
    except (OSError, ValueError):
        return None
    complete = (
        isinstance(metadata, dict)
        and metadata.get("format_version") == FORMAT_VERSION
        and metadata.get("state_bytes") == len(payload)
        and metadata.get("state_sha256") == hashlib.sha256(payload).hexdigest()
    )
    return (metadata, payload) if complete else None


def _write_atomically(path: pathlib.Path, payload: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as file:
        file.write(payload)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
