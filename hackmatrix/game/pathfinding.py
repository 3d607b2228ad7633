"""Breadth-first search on the 6 × 6 board with bitboards, and the enemy movement rule of §5.3.

A set of cells is a :class:`Bitboard`: two int32 words of 18 bits, ``low`` for rows 0–2 and ``high`` for rows
3–5, cell ``(r, c)`` at bit ``(r % 3) * 6 + c``. One BFS layer is then about twenty scalar integer operations per
board, which keeps the enemy phase (one search per moving enemy) cheap under ``vmap``.

The one search primitive is :func:`spread` (grow a set through passable cells until it touches a goal or stops
growing); :func:`distance_grid` keeps every layer's distance. The enemy movement rule, the exit distance of the
reward (§7) and the connectivity check of stage generation (§6.2) are built on them.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C
from hackmatrix.game.state import Board

_ROWS_PER_WORD = 3
_WORD = (1 << (_ROWS_PER_WORD * C.BOARD_SIZE)) - 1
_ROW = (1 << C.BOARD_SIZE) - 1
_TOP_ROW_SHIFT = (_ROWS_PER_WORD - 1) * C.BOARD_SIZE
# Bits that a one-column shift may land on: a left shift must not wrap into column 0, a right one into column 5.
_NOT_FIRST_COL = sum((_ROW - 1) << (C.BOARD_SIZE * r) for r in range(_ROWS_PER_WORD))
_NOT_LAST_COL = sum((_ROW >> 1) << (C.BOARD_SIZE * r) for r in range(_ROWS_PER_WORD))
_BIT_SHIFT = np.array(
    [[(r % _ROWS_PER_WORD) * C.BOARD_SIZE + c for c in range(C.BOARD_SIZE)] for r in range(C.BOARD_SIZE)],
    dtype=np.int32,
)
UNREACHABLE = 1 << 20  # distance of cells a search never reaches; larger than any path on the board


class Bitboard(NamedTuple):
    """A set of cells; ``low`` and ``high`` may carry matching batch shapes (e.g. ``(4,)`` for four cells)."""

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

    def keep_if(self, keep: Bool[Array, "*shape"]) -> Bitboard:
        """This set where ``keep``, else the empty set."""
        return Bitboard(jnp.where(keep, self.low, 0), jnp.where(keep, self.high, 0))


def no_cells() -> Bitboard:
    zero = jnp.zeros((), jnp.int32)
    return Bitboard(zero, zero)


def all_cells() -> Bitboard:
    full = jnp.full((), _WORD, jnp.int32)
    return Bitboard(full, full)


def cell_bit(
    row: Int[Array, "*shape"], col: Int[Array, "*shape"], *, on: Bool[Array, "*shape"] | bool = True
) -> Bitboard:
    """The set holding cell ``(row, col)`` where ``on`` and the cell is on the board, else the empty set."""
    on = jnp.asarray(on) & (row >= 0) & (row < C.BOARD_SIZE) & (col >= 0) & (col < C.BOARD_SIZE)
    bit = jnp.left_shift(jnp.int32(1), jnp.where(on, (row % _ROWS_PER_WORD) * C.BOARD_SIZE + col, 0))
    in_low = row < _ROWS_PER_WORD
    return Bitboard(jnp.where(on & in_low, bit, 0), jnp.where(on & ~in_low, bit, 0))


def union(cells: Bitboard, include: Bool[Array, " n"]) -> Bitboard:
    """The union of the ``include``-d members of a batch of disjoint sets (e.g. single cells)."""
    return Bitboard(
        jnp.where(include, cells.low, 0).sum(dtype=jnp.int32), jnp.where(include, cells.high, 0).sum(dtype=jnp.int32)
    )


def from_grid(mask: Bool[Array, "6 6"]) -> Bitboard:
    weight = jnp.where(mask, jnp.left_shift(jnp.int32(1), _BIT_SHIFT), 0)  # distinct bits: their sum is their union
    return Bitboard(weight[:_ROWS_PER_WORD].sum(dtype=jnp.int32), weight[_ROWS_PER_WORD:].sum(dtype=jnp.int32))


def to_grid(cells: Bitboard) -> Bool[Array, "6 6"]:
    low = (cells.low >> _BIT_SHIFT[:_ROWS_PER_WORD]) & 1
    high = (cells.high >> _BIT_SHIFT[_ROWS_PER_WORD:]) & 1
    return jnp.concatenate([low, high]).astype(bool)


def grow(cells: Bitboard) -> Bitboard:
    """``cells`` plus every cell adjacent to one of them (one BFS layer without obstacles)."""

    def sideways(word):
        return word | ((word << 1) & _NOT_FIRST_COL) | ((word >> 1) & _NOT_LAST_COL)

    low, high = cells
    return Bitboard(
        sideways(low) | ((low << C.BOARD_SIZE) & _WORD) | (low >> C.BOARD_SIZE) | ((high & _ROW) << _TOP_ROW_SHIFT),
        sideways(high) | ((high << C.BOARD_SIZE) & _WORD) | (high >> C.BOARD_SIZE) | (low >> _TOP_ROW_SHIFT),
    )


def spread(source: Bitboard, passable: Bitboard, goal: Bitboard) -> tuple[Int[Array, ""], Bitboard]:
    """Breadth-first search from ``source`` through ``passable`` cells.

    Stops at the first layer that touches ``goal`` or when nothing new is reached. Returns ``(steps, reached)``:
    ``reached`` holds every cell within ``steps`` moves, so ``reached & goal`` are the goal cells nearest to the
    source, exactly ``steps`` moves away (empty when no goal cell is reachable). An empty source costs nothing.
    """

    def searching(carry):
        _, reached, grew = carry
        return grew & ~(reached & goal).any()

    def layer(carry):
        steps, reached, _ = carry
        wider = reached | (grow(reached) & passable)
        return steps + 1, wider, ~wider.equals(reached)

    steps, reached, _ = jax.lax.while_loop(searching, layer, (jnp.int32(0), source, source.any()))
    return steps, reached


def distance_grid(source: Bitboard, passable: Bitboard) -> Int[Array, "6 6"]:
    """BFS distance (moves) of every cell from ``source`` through ``passable`` cells; ``UNREACHABLE`` elsewhere."""

    def layer(carry):
        distance, reached, _ = carry
        wider = reached | (grow(reached) & passable)
        # A cell at distance d is outside ``reached`` during exactly the first d layers.
        return distance + ~to_grid(reached), wider, ~wider.equals(reached)

    start = (jnp.zeros((C.BOARD_SIZE, C.BOARD_SIZE), jnp.int32), source, source.any())
    distance, reached, _ = jax.lax.while_loop(lambda carry: carry[2], layer, start)
    return jnp.where(to_grid(reached), distance, UNREACHABLE)


def block_cells(board: Board) -> Bitboard:
    return from_grid(board.content == C.CONTENT_BLOCK)


def exit_distance(
    board: Board, exit_row: Int[Array, ""], exit_col: Int[Array, ""], row: Int[Array, ""], col: Int[Array, ""]
) -> Int[Array, ""]:
    """D(p) of §7: fewest moves from ``(row, col)`` to the exit position, entering no block before the exit.

    The search runs backwards from the exit, which may be entered even if it holds a block; the start cell is
    left, never entered, so it may hold a block too. 0 on the exit and when the exit is unreachable.
    """
    start = cell_bit(row, col)
    steps, reached = spread(cell_bit(exit_row, exit_col), ~block_cells(board) | start, start)
    return jnp.where((reached & start).any(), steps, 0)


def enemy_step(
    *,
    row: Int[Array, ""],
    col: Int[Array, ""],
    glitch: Bool[Array, ""],
    moving: Bool[Array, ""],
    player_row: Int[Array, ""],
    player_col: Int[Array, ""],
    blocks: Bitboard,
    occupied: Bitboard,
    distance_through_occupants: Int[Array, "6 6"],
) -> tuple[Int[Array, ""], Int[Array, ""]]:
    """The cell a non-adjacent enemy at ``(row, col)`` moves to (§5.3); its own cell when it stays or not ``moving``.

    ``occupied``: cells holding another enemy or a transmission (the enemy's own cell may be included: no
    shortest path to the player passes through it). ``distance_through_occupants``: :func:`distance_grid` from
    the player over block-free cells, i.e. the search of rule step 3 for non-glitches (for glitches that search
    has no obstacles and is the Manhattan distance). The player's cell is the source of the searches unless it
    holds a block and the enemy is not a glitch.
    """
    n_row = row + jnp.asarray(C.DIRECTIONS[:, 0])
    n_col = col + jnp.asarray(C.DIRECTIONS[:, 1])
    neighbours = cell_bit(n_row, n_col)  # canonical order; off-board ones are empty sets
    on_board = neighbours.any()
    obstacles = blocks.keep_if(~glitch)
    enterable = on_board & ~(obstacles & neighbours).any()
    free = enterable & ~(occupied & neighbours).any()
    manhattan = jnp.abs(n_row - player_row) + jnp.abs(n_col - player_col)

    # Rule steps 1-2: shortest path over passable cells; the first canonical neighbour on one wins.
    player = cell_bit(player_row, player_col)
    searching = moving & free.any() & ~(obstacles & player).any()
    _, reached = spread(player.keep_if(searching), ~(obstacles | occupied), union(neighbours, free))
    on_shortest_path = (reached & neighbours).any() & free

    # Rule step 3: the same with occupied cells passable; only usable if the chosen cell is actually free.
    through_occupants = jnp.where(
        glitch,
        manhattan,
        distance_through_occupants[jnp.clip(n_row, 0, C.BOARD_SIZE - 1), jnp.clip(n_col, 0, C.BOARD_SIZE - 1)],
    )
    through_occupants = jnp.where(enterable, through_occupants, UNREACHABLE)
    nearest_through_occupants = jnp.argmin(through_occupants)
    use_through_occupants = (through_occupants < UNREACHABLE).any() & free[nearest_through_occupants]

    # Rule step 4: the free neighbour nearest to the player by Manhattan distance.
    nearest_free = jnp.argmin(jnp.where(free, manhattan, UNREACHABLE))

    direction = jnp.where(
        on_shortest_path.any(),
        jnp.argmax(on_shortest_path),
        jnp.where(use_through_occupants, nearest_through_occupants, nearest_free),
    )
    moves = moving & free.any()
    return jnp.where(moves, n_row[direction], row), jnp.where(moves, n_col[direction], col)
