"""Timing shared by the benchmark scripts (run as ``python benchmarks/<script>.py``, so this folder is on the path)."""

from __future__ import annotations

import statistics
from collections.abc import Callable

import jax

from hackmatrix.train import time_interleaved

TIMED_CALLS = 5


def median_seconds(fn: Callable, *args) -> float:
    """Median wall seconds of ``TIMED_CALLS`` calls of ``fn(*args)``, after one untimed warm-up call."""
    seconds = time_interleaved({"call": lambda: jax.block_until_ready(fn(*args))}, TIMED_CALLS)
    return statistics.median(seconds["wall"]["call"])
