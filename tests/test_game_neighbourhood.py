"""Distances on the board, and the GPU miscompile they route around (see ``neighbourhood.gap``)."""

from __future__ import annotations

import ast
import pathlib

import jax
import numpy as np

import hackmatrix.game
from hackmatrix.game.neighbourhood import CELL_COLS, CELL_ROWS, chebyshev, manhattan


@jax.jit
def distances_from(row, col):
    # The pattern XLA's GPU back end got wrong: two int32 differences against a traced position in one fusion.
    return chebyshev(CELL_ROWS, CELL_COLS, row, col), manhattan(CELL_ROWS, CELL_COLS, row, col)


def test_distances_from_every_cell_to_every_cell():
    for row in range(6):
        for col in range(6):
            king, taxi = jax.device_get(distances_from(np.int32(row), np.int32(col)))
            np.testing.assert_array_equal(king, np.maximum(abs(CELL_ROWS - row), abs(CELL_COLS - col)))
            np.testing.assert_array_equal(taxi, abs(CELL_ROWS - row) + abs(CELL_COLS - col))


def test_the_game_takes_no_abs_of_its_own():
    """Every ``|a - b|`` of the game goes through ``neighbourhood.gap``: ``abs`` of int32 differences is what the
    GPU back end miscompiled."""
    package = pathlib.Path(hackmatrix.game.__file__).parent
    calls = [
        f"{path.name}:{node.lineno}"
        for path in sorted(package.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) in {"abs", "absolute"}
    ]
    assert calls == []
