"""Timing shared by the benchmark scripts (run as ``python benchmarks/<script>.py``, so this folder is on the path)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import jax

TIMED_CALLS = 5


def median_seconds(fn: Callable, *args) -> float:
    """Median wall seconds of ``TIMED_CALLS`` calls of ``fn(*args)``, after one untimed warm-up call."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(TIMED_CALLS):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)
