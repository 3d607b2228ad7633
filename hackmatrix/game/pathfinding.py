"""Breadth-first search over the board, and the enemy movement rule (§5.3) and exit distance (§7) built on it.

Searches work on :class:`~hackmatrix.game.bitboard.Bitboard` sets: one BFS layer is a few scalar operations per
board. Each iteration of a ``while_loop`` grows the searched set by ``LAYERS_PER_ROUND`` layers (unrolled, frozen
once the search is finished), so most searches take one iteration; under ``vmap`` the loop runs until the longest
search of the batch is done. Keeping every quantity a scalar per board (no per-cell arrays inside the search) lets
XLA fuse the whole search into a few kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from hackmatrix.game import bitboard
from hackmatrix.game import constants as C
from hackmatrix.game.bitboard import Bitboard
from hackmatrix.game.state import Board

LAYERS_PER_ROUND = 6
_DIRECTIONS = [tuple(d) for d in C.DIRECTIONS.tolist()]  # canonical order: up, down, left, right

Observer = Callable[[Any, Bitboard, Int[Array, ""]], Any]


def _search(
    source: Bitboard,
    passable: Bitboard,
    goal: Bitboard,
    observe: Observer | None = None,
    observed: Any = (),
    conclude: Callable[[Bitboard], Any] | None = None,
    layers_per_round: int = LAYERS_PER_ROUND,
) -> tuple[Int[Array, ""], Bitboard, Any]:
    """BFS from ``source`` through ``passable`` until a layer touches ``goal`` or nothing new is reached.

    Returns (layers grown, cells reached, result): the result is ``conclude(reached)`` if given, evaluated inside
    the loop so that XLA computes it once rather than again in every kernel that reads it (the loop then runs at
    least once); otherwise the fold of ``observe(observed, new_cells, distance)`` over the layers, starting with
    the source at distance 0. ``layers_per_round`` trades compiled size for loop iterations.
    """

    def layer(carry):
        steps, reached, done, observed = carry
        new = (bitboard.grow(reached) & passable & ~reached).keep_if(~done)
        grew = new.any()
        steps = steps + grew
        if observe is not None:
            observed = observe(observed, new, steps)
        return steps, reached | new, done | ~grew | (new & goal).any(), observed

    def round_of_layers(carry):
        carry, _ = carry
        for _ in range(layers_per_round):
            carry = layer(carry)
        if conclude is not None:
            steps, reached, done, _ = carry
            carry = steps, reached, done, conclude(reached)
        return carry, jnp.asarray(False)

    if observe is not None:
        observed = observe(observed, source, jnp.int32(0))
    if conclude is not None:
        observed = jax.tree.map(lambda x: jnp.zeros(x.shape, x.dtype), jax.eval_shape(conclude, source))
    done = ~source.any() | (source & goal).any()
    start = ((jnp.int32(0), source, done, observed), jnp.asarray(conclude is not None))
    (steps, reached, _, observed), _ = jax.lax.while_loop(
        lambda carry: ~carry[0][2] | carry[1], round_of_layers, start
    )
    return steps, reached, observed


def spread(source: Bitboard, passable: Bitboard, goal: Bitboard) -> tuple[Int[Array, ""], Bitboard]:
    """Breadth-first search from ``source`` through ``passable`` cells.

    Stops at the first layer that touches ``goal``, or when nothing new is reached. Returns ``(steps, reached)``:
    ``reached`` holds every cell within ``steps`` moves, so ``reached & goal`` are the goal cells nearest to the
    source, exactly ``steps`` moves away (empty when no goal cell is reachable). An empty source costs nothing.
    """
    steps, reached, _ = _search(source, passable, goal)
    return steps, reached


def first_steps(source: Bitboard, passable: Bitboard) -> tuple[Bitboard, ...]:
    """One set per canonical direction: the cells whose first neighbour in canonical order among their neighbours
    nearest to ``source`` (BFS through ``passable``) lies in that direction. Cells with no reached neighbour are in
    none of the sets."""

    def record(observed, new, _):
        assigned, sets = observed
        updated = []
        for (d_row, d_col), cells in zip(_DIRECTIONS, sets):
            take = bitboard.shift(new, -d_row, -d_col) & ~assigned  # cells whose neighbour this way is new
            updated.append(cells | take)
            assigned = assigned | take
        return assigned, tuple(updated)

    nothing = bitboard.no_cells()
    # Once per enemy phase: fewer layers per loop iteration keep the compiled code small.
    start = (nothing, (nothing,) * len(_DIRECTIONS))
    _, _, (_, sets) = _search(source, passable, nothing, record, start, layers_per_round=3)
    return sets


def block_cells(board: Board) -> Bitboard:
    return bitboard.from_grid(board.content == C.CONTENT_BLOCK)


def exit_distance(
    board: Board, exit_row: Int[Array, ""], exit_col: Int[Array, ""], row: Int[Array, ""], col: Int[Array, ""]
) -> Int[Array, ""]:
    """D(p) of §7: fewest moves from ``(row, col)`` to the exit position, entering no block before the exit.

    The search runs backwards from the exit, which may be entered even if it holds a block; the start cell is
    left, never entered, so it may hold a block too. 0 on the exit and when the exit is unreachable.
    """
    start = bitboard.cell(row, col)
    steps, reached = spread(bitboard.cell(exit_row, exit_col), ~block_cells(board) | start, start)
    return jnp.where((reached & start).any(), steps, 0)


def _first_of(options: list[Bitboard]) -> Bitboard:
    """The first non-empty set of ``options`` (empty if all are)."""
    chosen = options[-1]
    for option in reversed(options[:-1]):
        chosen = bitboard.choose(option.any(), option, chosen)
    return chosen


def _union(sets: list[Bitboard]) -> Bitboard:
    union = sets[0]
    for cells in sets[1:]:
        union = union | cells
    return union


def enemy_step(
    *,
    cell: Int[Array, ""],
    glitch: Bool[Array, ""],
    moving: Bool[Array, ""],
    player_row: Int[Array, ""],
    player_col: Int[Array, ""],
    blocks: Bitboard,
    occupied: Bitboard,
    first_steps_through_occupants: tuple[Bitboard, ...],
) -> Int[Array, ""]:
    """The cell (index ``row * 6 + col``) a non-adjacent enemy on ``cell`` moves to (§5.3); ``cell`` itself when it
    stays or is not ``moving``.

    ``occupied``: cells holding another enemy or a transmission (the enemy's own cell may be included: no
    shortest path to the player passes through it). ``first_steps_through_occupants``: :func:`first_steps` from
    the player (if not on a block) over block-free cells, i.e. rule step 3 for non-glitches; for glitches that
    search has no obstacles, so its distances are Manhattan distances and need no table.
    """
    row, col = cell // C.BOARD_SIZE, cell % C.BOARD_SIZE
    here = bitboard.at_index(cell)
    neighbours = [bitboard.shift(here, d_row, d_col) for d_row, d_col in _DIRECTIONS]  # empty off the board
    obstacles = blocks.keep_if(~glitch)
    unblocked = ~(obstacles | occupied)
    free = [n & unblocked for n in neighbours]
    toward = [player_row > row, player_row < row, player_col < col, player_col > col]  # Manhattan distance - 1

    player = bitboard.cell(player_row, player_col)
    goal = _union(free)
    searching = moving & goal.any() & ~(obstacles & player).any()

    def conclude(reached):
        # Rules steps 1-2: the first free neighbour (canonical order) among those the search reached first.
        on_path = _first_of([n & reached for n in free])
        # Rule step 3: a shortest path with occupied cells passable, usable only if the cell it yields is free.
        nearest_for_glitch = _first_of([n.keep_if(t) for n, t in zip(neighbours, toward)] + [_first_of(neighbours)])
        nearest_for_others = _union(
            [n.keep_if((here & steps).any()) for n, steps in zip(neighbours, first_steps_through_occupants)]
        )
        through_occupants = bitboard.choose(glitch, nearest_for_glitch, nearest_for_others) & unblocked
        # Rule step 4: the free neighbour nearest to the player by Manhattan distance.
        fallback = _first_of([n.keep_if(t) for n, t in zip(free, toward)] + [_first_of(free)])
        target = _first_of([on_path, through_occupants, fallback])
        return jnp.where(moving & target.any(), bitboard.index(target), cell)

    _, _, new_cell = _search(player.keep_if(searching), unblocked, goal, conclude=conclude)
    return new_cell
