"""Read offline W&B run files (``run-<id>.wandb``) back into plain Python values, for tests.

The pinned client ships no reader. The format (see ``shared/notes/toolchain.md``): a 7-byte file header, then
32 KiB blocks of pieces, each with a 7-byte header (CRC-32 of type byte + data, uint16 length, uint8 type); pieces
reassemble into ``wandb_internal_pb2.Record`` messages.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import struct
import zlib
from typing import Any

from wandb.proto import wandb_internal_pb2

_FILE_HEADER = struct.Struct("<4sHB")
_PIECE_HEADER = struct.Struct("<IHB")
_BLOCK_SIZE = 32 * 1024
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@dataclasses.dataclass
class LoggedArtifact:
    """One ``log_artifact`` call as recorded in the run file."""

    name: str
    type: str
    aliases: list[str]
    metadata: dict[str, Any]
    manifest: dict[str, dict[str, Any]]  # path -> {"ref", "digest", "size", "local_path"}


@dataclasses.dataclass
class OfflineRun:
    """What one offline run directory recorded."""

    directory: pathlib.Path
    run_id: str = ""
    project: str = ""
    entity: str = ""
    display_name: str = ""
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    artifacts: list[LoggedArtifact] = dataclasses.field(default_factory=list)
    step_metrics: dict[str, str] = dataclasses.field(default_factory=dict)  # metric name or glob -> its x-axis
    exit_code: int | None = None


def read_records(path: pathlib.Path) -> list[wandb_internal_pb2.Record]:
    """Every record of one ``.wandb`` file, in order; raises ``ValueError`` on a bad header or checksum."""
    data = path.read_bytes()
    magic, version_magic, version = _FILE_HEADER.unpack_from(data, 0)
    if magic != b":W&B" or version_magic != 0xBEE1 or version != 0:
        raise ValueError(f"{path} is not a W&B run file")
    records: list[wandb_internal_pb2.Record] = []
    pending = b""
    offset = _FILE_HEADER.size
    while offset + _PIECE_HEADER.size <= len(data):
        room_in_block = _BLOCK_SIZE - offset % _BLOCK_SIZE
        if room_in_block < _PIECE_HEADER.size:
            offset += room_in_block
            continue
        checksum, length, piece_type = _PIECE_HEADER.unpack_from(data, offset)
        if piece_type == 0:  # unwritten space: the writer stopped here
            break
        start = offset + _PIECE_HEADER.size
        piece = data[start : start + length]
        if zlib.crc32(bytes([piece_type]) + piece) != checksum:
            raise ValueError(f"{path}: checksum mismatch at byte {offset}")
        offset = start + length
        pending = piece if piece_type in (_FULL, _FIRST) else pending + piece
        if piece_type in (_FULL, _LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def _key(item: Any) -> str:
    return "/".join(item.nested_key) if item.nested_key else item.key


def _items(items: Any) -> dict[str, Any]:
    return {_key(item): json.loads(item.value_json) for item in items}


def _creation_order(directory: pathlib.Path) -> tuple[str, int]:
    match = re.fullmatch(r"offline-run-(\d{8}_\d{6})-[0-9a-z]+(?:-(\d+))?", directory.name)
    if match is None:
        raise ValueError(f"unexpected offline run directory name {directory.name}")
    return match[1], int(match[2] or 0)


def read_run(directory: pathlib.Path) -> OfflineRun:
    """Decode one ``offline-run-*`` directory."""
    (run_file,) = directory.glob("run-*.wandb")
    run = OfflineRun(directory=directory)
    for record in read_records(run_file):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.run_id, run.project, run.entity = record.run.run_id, record.run.project, record.run.entity
            run.display_name = record.run.display_name
            run.config.update(_items(record.run.config.update))
        elif kind == "config":
            run.config.update(_items(record.config.update))
        elif kind == "history":
            run.history.append(_items(record.history.item))
        elif kind == "artifact":
            art = record.artifact
            run.artifacts.append(
                LoggedArtifact(
                    name=art.name,
                    type=art.type,
                    aliases=list(art.aliases),
                    metadata=json.loads(art.metadata) if art.metadata else {},
                    manifest={
                        entry.path: {
                            "ref": entry.ref,
                            "digest": entry.digest,
                            "size": entry.size,
                            "local_path": entry.local_path,
                        }
                        for entry in art.manifest.contents
                    },
                )
            )
        elif kind == "metric":
            run.step_metrics[record.metric.name or record.metric.glob_name] = record.metric.step_metric
        elif kind == "exit":
            run.exit_code = record.exit.exit_code
    return run


def read_runs(wandb_dir: pathlib.Path, run_id: str | None = None) -> list[OfflineRun]:
    """All offline runs under ``<wandb_dir>/wandb`` (optionally only those of one id), oldest first.

    Each offline ``init`` with a resumed id writes a new directory; the order of their names (timestamp, then the
    ``-1``, ``-2`` collision suffix) is the order the runs were made.
    """
    directories = sorted((wandb_dir / "wandb").glob("offline-run-*"), key=_creation_order)
    runs = [read_run(d) for d in directories]
    return [r for r in runs if run_id is None or r.run_id == run_id]
