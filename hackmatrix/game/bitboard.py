"""Sets of board cells as bits: a :class:`Bitboard` is two int32 words of 18 bits, ``low`` for rows 0–2 and
``high`` for rows 3–5, cell ``(r, c)`` at bit ``(r % 3) * 6 + c``.

Every operation is a handful of scalar integer instructions per board, so searches over the board (one BFS layer
is :func:`grow` plus a mask) fuse into a few XLA kernels under ``vmap`` instead of one kernel per array operation.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C

ROWS_PER_WORD = 3
WORD_BITS = ROWS_PER_WORD * C.BOARD_SIZE
_WORD = (1 << WORD_BITS) - 1
_ROW = (1 << C.BOARD_SIZE) - 1
_TOP_ROW_SHIFT = (ROWS_PER_WORD - 1) * C.BOARD_SIZE
# Bits a one-column shift may land on: a left shift must not wrap into column 0, a right one into column 5.
_NOT_FIRST_COL = sum((_ROW - 1) << (C.BOARD_SIZE * r) for r in range(ROWS_PER_WORD))
_NOT_LAST_COL = sum((_ROW >> 1) << (C.BOARD_SIZE * r) for r in range(ROWS_PER_WORD))
_BIT_OF_CELL = np.array(
    [[(r % ROWS_PER_WORD) * C.BOARD_SIZE + c for c in range(C.BOARD_SIZE)] for r in range(C.BOARD_SIZE)],
    dtype=np.int32,
)


class Bitboard(NamedTuple):
    """A set of cells; ``low`` and ``high`` may carry matching batch shapes."""

    low: Int[Array, "*shape"]
    high: Int[Array, "*shape"]

    def __or__(self, other: Bitboard) -> Bitboard:
        return Bitboard(self.low | other.low, self.high | other.high)

    def __and__(self, other: Bitboard) -> Bitboard:
        return Bitboard(self.low & other.low, self.high & other.high)

    def __invert__(self) -> Bitboard:
        return Bitboard(~self.low & _WORD, ~self.high & _WORD)

    def any(self) -> Bool[Array, "*shape"]:
        return (self.low | self.high) != 0

    def equals(self, other: Bitboard) -> Bool[Array, "*shape"]:
        return (self.low == other.low) & (self.high == other.high)

    def keep_if(self, keep: Bool[Array, "*shape"] | bool) -> Bitboard:
        """This set where ``keep``, else the empty set."""
        return Bitboard(jnp.where(keep, self.low, 0), jnp.where(keep, self.high, 0))

    def count(self) -> Int[Array, "*shape"]:
        return jax.lax.population_count(self.low) + jax.lax.population_count(self.high)


def no_cells() -> Bitboard:
    zero = jnp.zeros((), jnp.int32)
    return Bitboard(zero, zero)


def choose(condition: Bool[Array, "*shape"], if_true: Bitboard, if_false: Bitboard) -> Bitboard:
    return Bitboard(jnp.where(condition, if_true.low, if_false.low), jnp.where(condition, if_true.high, if_false.high))


def cell(row: Int[Array, "*shape"], col: Int[Array, "*shape"]) -> Bitboard:
    """The set holding cell ``(row, col)``; empty if that cell is off the board."""
    on_board = (row >= 0) & (row < C.BOARD_SIZE) & (col >= 0) & (col < C.BOARD_SIZE)
    bit = jnp.left_shift(jnp.int32(1), jnp.where(on_board, (row % ROWS_PER_WORD) * C.BOARD_SIZE + col, 0))
    in_low = row < ROWS_PER_WORD
    return Bitboard(jnp.where(on_board & in_low, bit, 0), jnp.where(on_board & ~in_low, bit, 0))


def at_index(index: Int[Array, "*shape"]) -> Bitboard:
    """The set holding the cell with index ``row * 6 + col`` (0-35)."""
    in_high = index >= WORD_BITS
    bit = jnp.left_shift(jnp.int32(1), jnp.where(in_high, index - WORD_BITS, index))
    return Bitboard(jnp.where(in_high, 0, bit), jnp.where(in_high, bit, 0))


def union_of(cells: Bitboard) -> Bitboard:
    """The union of a batch ``(n,)`` of sets (they may overlap)."""
    return Bitboard(jnp.bitwise_or.reduce(cells.low), jnp.bitwise_or.reduce(cells.high))


def of_entities(alive: Bool[Array, " n"], row: Int[Array, " n"], col: Int[Array, " n"]) -> Bitboard:
    """The cells where at least one of the ``alive`` entities stands."""
    return union_of(at_index(row * C.BOARD_SIZE + col).keep_if(alive))


def from_grid(mask: Bool[Array, "6 6"]) -> Bitboard:
    weight = jnp.where(mask, jnp.left_shift(jnp.int32(1), _BIT_OF_CELL), 0)  # distinct bits: their sum is their union
    return Bitboard(weight[:ROWS_PER_WORD].sum(dtype=jnp.int32), weight[ROWS_PER_WORD:].sum(dtype=jnp.int32))


def to_grid(cells: Bitboard) -> Bool[Array, "6 6"]:
    low = (cells.low >> _BIT_OF_CELL[:ROWS_PER_WORD]) & 1
    high = (cells.high >> _BIT_OF_CELL[ROWS_PER_WORD:]) & 1
    return jnp.concatenate([low, high]).astype(bool)


def shift(cells: Bitboard, d_row: int, d_col: int) -> Bitboard:
    """The cells one step away in direction ``(d_row, d_col)`` (a canonical direction) from those in ``cells``."""
    low, high = cells
    if d_col == 1:
        return Bitboard((low << 1) & _NOT_FIRST_COL, (high << 1) & _NOT_FIRST_COL)
    if d_col == -1:
        return Bitboard((low >> 1) & _NOT_LAST_COL, (high >> 1) & _NOT_LAST_COL)
    if d_row == 1:
        return Bitboard((low << C.BOARD_SIZE) & _WORD, ((high << C.BOARD_SIZE) & _WORD) | (low >> _TOP_ROW_SHIFT))
    return Bitboard((low >> C.BOARD_SIZE) | ((high & _ROW) << _TOP_ROW_SHIFT), high >> C.BOARD_SIZE)


def grow(cells: Bitboard) -> Bitboard:
    """``cells`` plus every cell adjacent to one of them."""
    grown = cells
    for d_row, d_col in C.DIRECTIONS.tolist():
        grown = grown | shift(cells, d_row, d_col)
    return grown


def index(cells: Bitboard) -> Int[Array, "*shape"]:
    """The cell index ``row * 6 + col`` of the cell of a one-cell set."""
    in_high = cells.high != 0
    bit = jax.lax.population_count(jnp.where(in_high, cells.high, cells.low) - 1)  # a power of two minus one
    return bit + jnp.where(in_high, WORD_BITS, 0)


def nth_set_bit(word: Int[Array, "*shape"], n: Int[Array, "*shape"]) -> Int[Array, "*shape"]:
    """Position of the ``n``-th (0-based, from bit 0) set bit of an int32 (any of its 32 bits) with more than ``n``
    set bits (a binary search over popcounts: scalar operations only)."""
    bit = jnp.zeros_like(n)
    for width in (16, 8, 4, 2, 1):
        below = jax.lax.population_count((word >> bit) & ((1 << width) - 1))
        skip = n >= below
        bit = jnp.where(skip, bit + width, bit)
        n = jnp.where(skip, n - below, n)
    return bit


def nth_cell(cells: Bitboard, n: Int[Array, ""]) -> Int[Array, ""]:
    """Index (``row * 6 + col``) of the ``n``-th cell (0-based, in index order) of a set with more than ``n`` cells."""
    low_count = jax.lax.population_count(cells.low)
    in_high = n >= low_count
    bit = nth_set_bit(jnp.where(in_high, cells.high, cells.low), jnp.where(in_high, n - low_count, n))
    return bit + jnp.where(in_high, WORD_BITS, 0)
