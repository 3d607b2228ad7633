"""Bitboards, breadth-first search, the exit distance of §7 and the enemy movement rule of §5.3.

The movement rule and the searches are checked against a plain-Python reading of the spec on thousands of random
boards (one vmapped, jitted call each), plus the spec's own worked examples.
"""

from __future__ import annotations

from collections import deque

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import bitboard, pathfinding
from hackmatrix.game import constants as C
from hackmatrix.game.scenario import BlockSpec, PlayerSpec, Scenario, build_state

N = C.BOARD_SIZE
CANONICAL = [tuple(d) for d in C.DIRECTIONS.tolist()]
CASES = 3000


def on_board(r, c):
    return 0 <= r < N and 0 <= c < N


def bfs(source, passable):
    """Distances from ``source`` (a cell or None) over cells where ``passable(cell)``; the source always counts."""
    if source is None:
        return {}
    distance, queue = {source: 0}, deque([source])
    while queue:
        r, c = queue.popleft()
        for dr, dc in CANONICAL:
            nxt = (r + dr, c + dc)
            if on_board(*nxt) and nxt not in distance and passable(nxt):
                distance[nxt] = distance[(r, c)] + 1
                queue.append(nxt)
    return distance


def reference_step(enemy, player, glitch, blocks, occupied):
    """§5.3 as written: ``occupied`` holds the cells of *other* enemies and of transmissions."""
    neighbours = [(enemy[0] + dr, enemy[1] + dc) for dr, dc in CANONICAL]
    neighbours = [n for n in neighbours if on_board(*n)]

    def enterable(cell):
        return glitch or cell not in blocks

    def nearest(cells, distance):
        return min(cells, key=lambda n: (distance(n), neighbours.index(n))) if cells else None

    source = player if enterable(player) else None
    for occupied_blocks in (True, False):  # rule steps 1-2, then step 3
        passable = lambda cell: enterable(cell) and not (occupied_blocks and cell in occupied)  # noqa: E731
        distance = bfs(source, passable)
        best = nearest([n for n in neighbours if passable(n) and n in distance], distance.__getitem__)
        if best is not None and best not in occupied:
            return best
    free = [n for n in neighbours if enterable(n) and n not in occupied]
    manhattan = lambda n: abs(n[0] - player[0]) + abs(n[1] - player[1])  # noqa: E731
    return nearest(free, manhattan) or enemy


def _grid(cells):
    grid = np.zeros((N, N), bool)
    for r, c in cells:
        grid[r, c] = True
    return grid


@jax.jit
@jax.vmap
def jax_step(cell, glitch, player_row, player_col, block_grid, occupied_grid):
    blocks = bitboard.from_grid(block_grid)
    player = bitboard.cell(player_row, player_col)
    return pathfinding.enemy_step(
        cell=cell, glitch=glitch, moving=jnp.asarray(True), player_row=player_row, player_col=player_col,
        blocks=blocks, occupied=bitboard.from_grid(occupied_grid),
        first_steps_through_occupants=pathfinding.first_steps(player & ~blocks, ~blocks),
    )  # fmt: skip


def random_cases(seed, count):
    """Random boards with blocks, other enemies (sometimes stacked on the moving one) and transmissions."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        cells = [(r, c) for r in range(N) for c in range(N)]
        player = cells[rng.integers(N * N)]
        enemy = cells[rng.integers(N * N)]
        if abs(enemy[0] - player[0]) + abs(enemy[1] - player[1]) == 1:
            continue  # adjacent enemies attack instead
        density = rng.uniform(0.0, 0.5)
        blocks = {cell for cell in cells if rng.random() < density * 0.6}
        others = {cell for cell in cells if rng.random() < density and cell != player}
        if rng.random() < 0.2:
            others.add(enemy)  # another enemy stacked on the moving one (PUSH/PULL)
        if rng.random() < 0.1:
            others.add(player)  # an entity on the player's cell (never "occupied" for the search)
        cases.append((enemy, player, bool(rng.random() < 0.3), blocks, others))
    return cases


def run_jax(cases):
    own = lambda enemy, others: others | {enemy}  # noqa: E731 - the implementation may count the mover itself
    out = jax_step(
        jnp.asarray([e[0] * N + e[1] for e, *_ in cases], jnp.int32),
        jnp.asarray([g for _, _, g, _, _ in cases]),
        jnp.asarray([p[0] for _, p, *_ in cases], jnp.int32),
        jnp.asarray([p[1] for _, p, *_ in cases], jnp.int32),
        jnp.asarray(np.stack([_grid(b) for *_, b, _ in cases])),
        jnp.asarray(np.stack([_grid(own(e, o - {p})) for e, p, _, _, o in cases])),
    )
    return [divmod(int(cell), N) for cell in np.asarray(out)]


def test_enemy_step_matches_the_rule_on_random_boards():
    cases = random_cases(0, CASES)
    got = run_jax(cases)
    for case, cell in zip(cases, got):
        enemy, player, glitch, blocks, others = case
        # "occupied" = other enemies' cells; the mover's own cell only if another enemy is stacked on it; the
        # player's cell never.
        expected = reference_step(enemy, player, glitch, blocks, others - {player})
        assert cell == expected, case


def test_random_boards_exercise_every_rule_step():
    """The random cases reach the search, the search through occupants, the fallback and staying put."""
    outcomes = set()
    for enemy, player, glitch, blocks, others in random_cases(0, CASES):
        occupied = others - {player}
        enterable = lambda cell: glitch or cell not in blocks  # noqa: E731
        source = player if enterable(player) else None
        neighbours = [(enemy[0] + dr, enemy[1] + dc) for dr, dc in CANONICAL if on_board(enemy[0] + dr, enemy[1] + dc)]
        first = bfs(source, lambda cell: enterable(cell) and cell not in occupied)
        second = bfs(source, enterable)
        if any(enterable(n) and n not in occupied and n in first for n in neighbours):
            outcomes.add("shortest path")
        elif any(enterable(n) and n in second for n in neighbours):
            outcomes.add("through occupants")
        free = [n for n in neighbours if enterable(n) and n not in occupied]
        outcomes.add("stays" if not free else "moves")
    assert outcomes == {"shortest path", "through occupants", "stays", "moves"}


def test_appendix_example_2_tie_break_up_first():
    """Daemon at (2,5), player at (2,2), block at (2,3): up, down and left are all 4 steps away -> up."""
    assert run_jax([((2, 5), (2, 2), False, {(2, 3)}, set())]) == [(3, 5)]


def test_appendix_example_17_fallback_moves_away():
    """Daemon (1,1), player (0,0), transmissions on (1,0) and (0,1): no free route; the route through occupants
    starts at the occupied (0,1); the fallback picks up (2,1) over right (1,2) (both Manhattan 3)."""
    assert run_jax([((1, 1), (0, 0), False, set(), {(1, 0), (0, 1)})]) == [(2, 1)]


def test_enemy_on_the_players_cell_takes_the_first_free_cell():
    assert run_jax([((2, 2), (2, 2), False, {(3, 2)}, {(1, 2)})]) == [(2, 1)]


def test_player_on_a_block_leaves_non_glitches_to_the_fallback():
    """Player on a block (after WARP): the searches find nothing for a daemon, so it takes the free neighbour
    nearest by Manhattan distance; a glitch still searches."""
    blocks = {(2, 2), (2, 4), (1, 3)}  # the player's cell and walls around the daemon's left and down
    daemon = run_jax([((2, 5), (2, 2), False, blocks, set())])
    glitch = run_jax([((2, 5), (2, 2), True, blocks, set())])
    assert daemon == [(3, 5)]  # up (3,5) and down (1,5) are both Manhattan 4 away: up first
    assert glitch == [(2, 4)]  # glitches walk through blocks: left is 2 steps from the player


@jax.jit
@jax.vmap
def jax_spread(passable_grid, goal_index):
    """(steps, goal reached) of a search from (0,0) to one goal cell."""
    goal = bitboard.at_index(goal_index)
    start = bitboard.cell(jnp.int32(0), jnp.int32(0))
    steps, reached = pathfinding.spread(start, bitboard.from_grid(passable_grid), goal)
    return steps, (reached & goal).any()


def test_spread_finds_bfs_distances_including_a_long_snake():
    rng = np.random.default_rng(1)
    grids = [rng.random((N, N)) < p for p in rng.uniform(0.4, 1.0, 100)]
    snake = np.ones((N, N), bool)
    snake[1, :5] = snake[3, :5] = False  # a corridor winding through the whole board
    grids.append(snake)
    cases = [(grid, goal) for grid in grids for goal in range(N * N)]
    for grid, _ in cases:
        grid[0, 0] = True
    steps, found = jax_spread(jnp.asarray(np.stack([g for g, _ in cases])), jnp.asarray([g for _, g in cases]))
    longest = 0
    for (grid, goal), s, f in zip(cases, np.asarray(steps), np.asarray(found)):
        distance = bfs((0, 0), lambda cell, g=grid: g[cell]).get(divmod(goal, N))
        assert bool(f) == (distance is not None)
        if distance is not None:
            assert s == distance
            longest = max(longest, distance)
    assert longest > 2 * pathfinding.LAYERS_PER_ROUND  # searches that need several loop iterations


jax_exit_distance = jax.jit(jax.vmap(pathfinding.exit_distance, in_axes=(None, 0, 0, 0, 0)))


@pytest.mark.parametrize("seed", [0, 1])
def test_exit_distance_matches_a_search_from_the_exit(seed):
    rng = np.random.default_rng(seed)
    blocks = [BlockSpec(r, c, "data") for r in range(N) for c in range(N) if rng.random() < 0.3 and (r, c) != (5, 5)]
    state = build_state(Scenario(player=PlayerSpec(0, 0), blocks=blocks))
    block_cells = {(b.row, b.col) for b in blocks}
    starts = [(r, c) for r in range(N) for c in range(N)]
    exits = [(5, 5), (0, 0), starts[rng.integers(36)], (blocks[0].row, blocks[0].col)]  # the last holds a block
    for exit_cell in exits:
        got = jax_exit_distance(
            state.board, jnp.full(36, exit_cell[0]), jnp.full(36, exit_cell[1]),
            jnp.asarray([s[0] for s in starts]), jnp.asarray([s[1] for s in starts]),
        )  # fmt: skip
        # Backwards from the exit: cells entered before the exit hold no block; the start may hold one.
        reach = bfs(exit_cell, lambda cell: cell not in block_cells)
        for start, d in zip(starts, np.asarray(got)):
            neighbours = [(start[0] + dr, start[1] + dc) for dr, dc in CANONICAL]
            steps = [reach[n] + 1 for n in neighbours if n in reach]
            expected = 0 if start == exit_cell else min(steps, default=0)
            assert d == expected, (exit_cell, start)


def test_bitboard_round_trips_and_growth():
    rng = np.random.default_rng(2)
    grids = rng.random((50, N, N)) < 0.4
    cells = jax.vmap(bitboard.from_grid)(jnp.asarray(grids))
    np.testing.assert_array_equal(np.asarray(jax.vmap(bitboard.to_grid)(cells)), grids)
    grown = np.asarray(jax.vmap(lambda b: bitboard.to_grid(bitboard.grow(b)))(cells))
    expected = grids.copy()
    expected[:, 1:] |= grids[:, :-1]
    expected[:, :-1] |= grids[:, 1:]
    expected[:, :, 1:] |= grids[:, :, :-1]
    expected[:, :, :-1] |= grids[:, :, 1:]
    np.testing.assert_array_equal(grown, expected)
    counts = np.asarray(jax.vmap(lambda b: b.count())(cells))
    np.testing.assert_array_equal(counts, grids.sum((1, 2)))
    nth_cell = jax.jit(jax.vmap(bitboard.nth_cell, in_axes=(None, 0)))
    for i, grid in enumerate(grids[:5]):
        indices = np.flatnonzero(grid)
        one = jax.tree.map(lambda x: x[i], cells)
        np.testing.assert_array_equal(np.asarray(nth_cell(one, jnp.arange(len(indices)))), indices)
