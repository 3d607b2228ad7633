"""Where cells and entities lie relative to one position: offsets, the cross and the surrounding ring (§0).

Everything is a vectorised comparison against the ``(6, 6)`` cell coordinates or an entity's row/col arrays, so
callers never gather or scatter to ask "is this next to the player?".
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C
from hackmatrix.game.entities import cell_index

CELL_ROWS, CELL_COLS = np.indices((C.BOARD_SIZE, C.BOARD_SIZE), dtype=np.int32)


def on_board(row, col) -> Bool[Array, "..."]:
    return (row >= 0) & (row < C.BOARD_SIZE) & (col >= 0) & (col < C.BOARD_SIZE)


def gap(a, b) -> Int[Array, "..."]:
    """``|a - b|`` for integers, written as a select: XLA's GPU back end (jaxlib 0.11.2 on an H100) miscompiles
    ``abs`` of int32 differences when two of them meet in one fusion (``max(|r - 4|, |c - 3|)`` came out as if the
    negative row differences were left negative), which made cells two rows away count as "around" the player. The
    select compiles right on every back end."""
    return jnp.where(a < b, b - a, a - b)


def chebyshev(row, col, at_row, at_col) -> Int[Array, "..."]:
    """King-move distance from (at_row, at_col) to each (row, col)."""
    return jnp.maximum(gap(row, at_row), gap(col, at_col))


def manhattan(row, col, at_row, at_col) -> Int[Array, "..."]:
    return gap(row, at_row) + gap(col, at_col)


def cross_cells(row: Int[Array, ""], col: Int[Array, ""]) -> Bool[Array, "6 6"]:
    """The cell (row, col) and its on-board adjacent cells (a siphon area)."""
    return manhattan(CELL_ROWS, CELL_COLS, row, col) <= 1


def surrounding_cells(row: Int[Array, ""], col: Int[Array, ""]) -> Bool[Array, "6 6"]:
    """The up to eight on-board cells surrounding (row, col), excluding it."""
    return chebyshev(CELL_ROWS, CELL_COLS, row, col) == 1


def cross_sum(grid: Int[Array, "6 6"]) -> Int[Array, "6 6"]:
    """For every cell q, the sum of ``grid`` over the cross of q (off-board cells count 0)."""
    padded = jnp.pad(grid, 1)
    return (
        padded[1:-1, 1:-1] + padded[2:, 1:-1] + padded[:-2, 1:-1] + padded[1:-1, 2:] + padded[1:-1, :-2]
    )


def grid_at(grid: Array, row: Int[Array, "*n"], col: Int[Array, "*n"]) -> Array:
    """``grid[row, col]`` for arrays of in-board positions (entity rows/cols)."""
    return grid.reshape(-1)[cell_index(row, col)]
