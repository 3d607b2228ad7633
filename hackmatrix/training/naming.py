"""Run names and ids: ``hackmatrix-jax-{YYMMDD}-{N}[-{suffix}]``, claimed atomically in the checkpoint directory.

The W&B run id is derived from the name, so a restarted notebook that passes the same ``--run-name`` lands in the
same W&B run (and the same checkpoint directory) without remembering any id.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import pathlib
import re

RUN_NAME_PREFIX = "hackmatrix-jax"
#: Holds one empty file per claimed ``{YYMMDD}-{N}``: creating it with O_EXCL is the atomic claim of the number N,
#: whatever suffix the run adds, so two runs started at the same moment never share a number.
CLAIMS_DIRNAME = ".run-numbers"

_SUFFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_AUTO_NAME = re.compile(rf"{RUN_NAME_PREFIX}-(\d{{6}})-(\d+)(?:-.*)?")
_CLAIM = re.compile(r"(\d{6})-(\d+)")


def run_id_for(name: str) -> str:
    """The W&B run id of a run name: the first 8 hex digits of the MD5 of the name."""
    return hashlib.md5(name.encode()).hexdigest()[:8]


def validate_run_name(name: str) -> str:
    """Returns ``name``; raises ``ValueError`` if it cannot name a checkpoint directory."""
    if not name or name.strip() != name or name.startswith(".") or any(c in name for c in "/\\\0"):
        raise ValueError(
            f"a run name must be non-empty, must not start with '.' or contain '/', '\\' or surrounding spaces; "
            f"got {name!r}"
        )
    return name


def validate_suffix(suffix: str) -> str:
    """Returns ``suffix``; raises ``ValueError`` unless it is letters, digits, '_', '.', '-' (not first)."""
    if not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"a run suffix must match {_SUFFIX.pattern}; got {suffix!r}")
    return suffix


def _numbers_used(checkpoint_dir: pathlib.Path, date: str) -> set[int]:
    """The N already taken on ``date``: by run directories (also ones named by hand) and by claims."""
    used = set()
    for match in map(_AUTO_NAME.fullmatch, os.listdir(checkpoint_dir)):
        if match and match[1] == date:
            used.add(int(match[2]))
    for match in map(_CLAIM.fullmatch, os.listdir(checkpoint_dir / CLAIMS_DIRNAME)):
        if match and match[1] == date:
            used.add(int(match[2]))
    return used


def claim_run_name(
    checkpoint_dir: str | os.PathLike[str], suffix: str | None = None, today: datetime.date | None = None
) -> str:
    """A new run name for ``today`` (default: the local date) whose N is one more than the largest used that day.

    Creates ``<checkpoint_dir>/<name>/`` and the claim of N. Safe against concurrent callers on one file system:
    a caller that loses the race for N retries with the next free number.
    """
    if suffix is not None:
        validate_suffix(suffix)
    checkpoint_dir = pathlib.Path(checkpoint_dir)
    (checkpoint_dir / CLAIMS_DIRNAME).mkdir(parents=True, exist_ok=True)
    date = (today or datetime.date.today()).strftime("%y%m%d")
    while True:
        number = max(_numbers_used(checkpoint_dir, date), default=0) + 1
        try:
            os.close(os.open(checkpoint_dir / CLAIMS_DIRNAME / f"{date}-{number}", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            continue
        name = f"{RUN_NAME_PREFIX}-{date}-{number}" + (f"-{suffix}" if suffix else "")
        (checkpoint_dir / name).mkdir(exist_ok=True)
        return name


def find_run_directory(checkpoint_dir: str | os.PathLike[str], run_id: str) -> pathlib.Path | None:
    """The directory under ``checkpoint_dir`` of the run whose id (or name) is ``run_id``, if there is one."""
    checkpoint_dir = pathlib.Path(checkpoint_dir)
    if not checkpoint_dir.is_dir():
        return None
    for entry in sorted(checkpoint_dir.iterdir()):
        if entry.is_dir() and not entry.name.startswith(".") and run_id in (entry.name, run_id_for(entry.name)):
            return entry
    return None
