"""Run names ``hackmatrix-jax-{YYMMDD}-{N}[-{suffix}]`` and run ids derived from them."""

from __future__ import annotations

import datetime
import hashlib
import pathlib
import re
import threading

import pytest

from hackmatrix.training.naming import (
    claim_run_name,
    find_run_directory,
    run_id_for,
    validate_run_name,
)

DAY = datetime.date(2026, 3, 9)
NEXT_DAY = DAY + datetime.timedelta(days=1)


def test_first_claim_of_a_day_is_number_one_and_creates_the_run_directory(tmp_path: pathlib.Path) -> None:
    name = claim_run_name(tmp_path, today=DAY)
    assert name == "hackmatrix-jax-260309-1"
    assert (tmp_path / name).is_dir()


def test_number_is_one_more_than_the_largest_used_that_day(tmp_path: pathlib.Path) -> None:
    existing = ["hackmatrix-jax-260309-2", "hackmatrix-jax-260309-7-ablation", "hackmatrix-jax-260308-40", "other"]
    for name in existing:
        (tmp_path / name).mkdir()
    assert claim_run_name(tmp_path, today=DAY) == "hackmatrix-jax-260309-8"
    assert claim_run_name(tmp_path, today=DAY) == "hackmatrix-jax-260309-9"


def test_suffix_is_appended_and_shares_the_day_numbering(tmp_path: pathlib.Path) -> None:
    assert claim_run_name(tmp_path, suffix="lr3e-4", today=DAY) == "hackmatrix-jax-260309-1-lr3e-4"
    assert claim_run_name(tmp_path, today=DAY) == "hackmatrix-jax-260309-2"
    assert claim_run_name(tmp_path, suffix="lr3e-4", today=DAY) == "hackmatrix-jax-260309-3-lr3e-4"


@pytest.mark.parametrize("suffix", ["", "-x", "a/b", "has space"])
def test_bad_suffix_is_rejected(tmp_path: pathlib.Path, suffix: str) -> None:
    with pytest.raises(ValueError, match="suffix"):
        claim_run_name(tmp_path, suffix=suffix, today=DAY)


def test_numbering_restarts_on_a_new_date(tmp_path: pathlib.Path) -> None:
    assert [claim_run_name(tmp_path, today=DAY) for _ in range(2)] == [
        "hackmatrix-jax-260309-1",
        "hackmatrix-jax-260309-2",
    ]
    assert claim_run_name(tmp_path, today=NEXT_DAY) == "hackmatrix-jax-260310-1"
    assert claim_run_name(tmp_path, today=DAY) == "hackmatrix-jax-260309-3"


def test_concurrent_claims_get_distinct_consecutive_numbers(tmp_path: pathlib.Path) -> None:
    callers = 12
    start = threading.Barrier(callers)
    names: list[str] = []

    def claim(index: int) -> None:
        start.wait()
        names.append(claim_run_name(tmp_path, suffix="even" if index % 2 == 0 else None, today=DAY))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = sorted(int(re.fullmatch(r"hackmatrix-jax-260309-(\d+)(-even)?", n)[1]) for n in names)
    assert numbers == list(range(1, callers + 1))
    assert all((tmp_path / name).is_dir() for name in names)


def test_run_id_is_the_md5_prefix_of_the_name() -> None:
    name = "hackmatrix-jax-260309-1"
    assert run_id_for(name) == hashlib.md5(name.encode()).hexdigest()[:8]
    assert re.fullmatch(r"[0-9a-f]{8}", run_id_for(name))
    assert run_id_for(name) != run_id_for("hackmatrix-jax-260309-2")


def test_run_directory_is_found_by_id_or_by_name(tmp_path: pathlib.Path) -> None:
    name = claim_run_name(tmp_path, today=DAY)
    claim_run_name(tmp_path, today=DAY)
    assert find_run_directory(tmp_path, run_id_for(name)) == tmp_path / name
    assert find_run_directory(tmp_path, name) == tmp_path / name
    assert find_run_directory(tmp_path, "0000abcd") is None
    assert find_run_directory(tmp_path / "missing", run_id_for(name)) is None


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", " padded", "a\\b"])
def test_run_names_that_cannot_be_directories_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="run name"):
        validate_run_name(name)


def test_explicit_run_name_is_kept_as_given() -> None:
    assert validate_run_name("my run (v2)") == "my run (v2)"
