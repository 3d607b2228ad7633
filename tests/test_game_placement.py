"""Transmission placement (§5.6): where transmissions may go, the preference for cells out of the line of fire, and
the distribution of the closed-form draw."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.game import bitboard, placement, random_stream
from hackmatrix.game import constants as C
from hackmatrix.game.scenario import (
    BlockSpec, EnemySpec, PlayerSpec, ResourceSpec, Scenario, TransmissionSpec, build_state, describe,
)  # fmt: skip

N = C.BOARD_SIZE
SAMPLES = 4000

_place_one = jax.jit(
    jax.vmap(
        lambda state, key: placement.place_transmissions(state, stream=random_stream.from_key(key), count=jnp.int32(1)),
        in_axes=(None, 0),
    )
)
_place_many = jax.jit(
    jax.vmap(
        lambda state, key, count: placement.place_transmissions(
            state, stream=random_stream.from_key(key), count=count, from_siphon=True
        ),
        in_axes=(None, 0, None),
    )
)


def new_cells(before, after_batch):
    """Per sample, the cells of the transmissions appended after ``before``'s."""
    t = jax.device_get(after_batch.transmissions)
    new = t.alive & (t.order >= int(before.next_order))
    return [list(zip(t.row[i][new[i]], t.col[i][new[i]])) for i in range(new.shape[0])]


def keys(seed, n=SAMPLES):
    return jax.random.split(jax.random.key(seed), n)


def crowded_state():
    """Player (2,2); enemies, transmissions and blocks scattered around; the exit at (5,5)."""
    return build_state(Scenario(
        player=PlayerSpec(2, 2),
        enemies=[EnemySpec("daemon", 2, 4, 3), EnemySpec("virus", 0, 2, 2), EnemySpec("glitch", 4, 1, 2)],
        transmissions=[TransmissionSpec(1, 1, 2, "virus"), TransmissionSpec(3, 3, 1, "daemon")],
        blocks=[BlockSpec(r, c, "data", points=1, spawn_count=1) for r, c in [(2, 0), (3, 2), (4, 4), (0, 5)]],
    ))  # fmt: skip


def test_placements_only_take_free_cells_and_one_per_cell():
    state = crowded_state()
    s = describe(state)
    taken = {(2, 2)} | {(e["row"], e["col"]) for e in s["enemies"]} | {(t["row"], t["col"]) for t in s["transmissions"]}
    taken |= {(b["row"], b["col"]) for b in s["blocks"]}
    free = N * N - len(taken)
    after = _place_many(state, keys(0, 200), jnp.asarray(free + 5, jnp.int32))
    for cells in new_cells(state, after):
        assert not set(cells) & taken
        assert len(set(cells)) == len(cells)
    # Every free cell gets filled when more are owed than there are cells (failures only happen near the end).
    assert max(len(cells) for cells in new_cells(state, after)) == free
    flags = jax.device_get(after.transmissions.from_siphon)
    alive_new = jax.device_get(after.transmissions.alive & (after.transmissions.order >= state.next_order))
    assert flags[alive_new].all()


def in_line_of_fire_reference(player, obstacles):
    cells = set()
    for dr, dc in C.DIRECTIONS.tolist():
        r, c = player[0] + dr, player[1] + dc
        while 0 <= r < N and 0 <= c < N:
            cells.add((r, c))
            if (r, c) in obstacles:
                break
            r, c = r + dr, c + dc
    return cells


def test_line_of_fire_stops_at_enemies_and_blocks_only():
    rng = np.random.default_rng(1)
    line_of_fire = jax.jit(lambda r, c, grid: bitboard.to_grid(placement.line_of_fire(r, c, bitboard.from_grid(grid))))
    for _ in range(40):
        grid = rng.random((N, N)) < 0.3
        player = (int(rng.integers(N)), int(rng.integers(N)))
        got = np.asarray(line_of_fire(jnp.int32(player[0]), jnp.int32(player[1]), jnp.asarray(grid)))
        expected = in_line_of_fire_reference(player, {tuple(x) for x in np.argwhere(grid)})
        assert {tuple(x) for x in np.argwhere(got)} == expected


def test_transmissions_in_between_do_not_shield_a_cell():
    """Player (0,0), a transmission on (0,1): (0,2)-(0,4) behind it stay in the line of fire, so with the rest of
    the board blocked off the only acceptable cell is (5,5) (the exit), drawn in phase 1 94 % of the time (were
    the cells behind the transmission acceptable, it would get a fifth)."""
    blocks = [BlockSpec(r, c, "data") for r in range(1, N) for c in range(1, N) if (r, c) != (5, 5)]
    blocks += [BlockSpec(r, 0, "data") for r in range(2, N)] + [BlockSpec(0, 5, "data")]
    transmissions = [TransmissionSpec(0, 1, 3, "virus")]
    state = build_state(Scenario(player=PlayerSpec(0, 0), blocks=blocks, transmissions=transmissions))
    placed = [cells[0] for cells in new_cells(state, _place_one(state, keys(2, 400)))]
    assert 0.9 < placed.count((5, 5)) / len(placed) < 0.98


def test_prefers_cells_out_of_the_line_of_fire_with_the_stated_probabilities():
    """Player (5,3): free cells (5,4) and (5,5) are in the line of fire, (0,0) is the only other free cell.
    Phase 1 succeeds with 1 - (35/36)^100; otherwise phase 2 picks among the three free cells."""
    open_cells = {(5, 3), (5, 4), (5, 5), (0, 0)}
    blocks = [BlockSpec(r, c, "data") for r in range(N) for c in range(N) if (r, c) not in open_cells]
    state = build_state(Scenario(player=PlayerSpec(5, 3), blocks=blocks))
    placed = new_cells(state, _place_one(state, keys(3)))
    first = 1 - (35 / 36) ** 100
    second = (1 - first) * (1 - (33 / 36) ** 100)
    expected = {(0, 0): first + second / 3, (5, 4): second / 3, (5, 5): second / 3}
    counts = {cell: sum(cells == [cell] for cells in placed) for cell in expected}
    assert sum(counts.values()) + sum(cells == [] for cells in placed) == SAMPLES
    for cell, p in expected.items():
        sigma = np.sqrt(p * (1 - p) / SAMPLES)
        assert abs(counts[cell] / SAMPLES - p) < 5 * sigma, (cell, counts[cell])


def test_acceptable_cells_are_equally_likely_and_enemy_types_uniform():
    """Empty board, player (0,0): the 25 cells off row 0 and column 0 are acceptable and the rest is in the line of
    fire, so (with probability 1 - 1e-12) one of the 25 is drawn uniformly."""
    state = build_state(Scenario(player=PlayerSpec(0, 0)))
    after = _place_one(state, keys(4))
    placed = [cells[0] for cells in new_cells(state, after)]
    counts = np.zeros((N, N))
    for r, c in placed:
        counts[r, c] += 1
    assert counts[0].sum() == 0 and counts[:, 0].sum() == 0
    inner = counts[1:, 1:].ravel()
    chi2 = ((inner - SAMPLES / 25) ** 2 / (SAMPLES / 25)).sum()
    assert chi2 < 60  # 24 degrees of freedom: p < 1e-4 above 60
    t = jax.device_get(after.transmissions)
    kinds = np.bincount(t.kind[t.alive], minlength=C.NUM_ENEMY_TYPES)
    assert np.all(np.abs(kinds / SAMPLES - 0.25) < 5 * np.sqrt(0.25 * 0.75 / SAMPLES))
    assert np.all(t.countdown[t.alive] == 1) and not t.from_siphon[t.alive].any()


def test_nothing_happens_without_a_free_cell_or_when_not_created():
    blocks = [BlockSpec(r, c, "data") for r in range(N) for c in range(N) if (r, c) not in {(0, 0), (5, 5)}]
    full = build_state(Scenario(player=PlayerSpec(0, 0), blocks=blocks, enemies=[EnemySpec("virus", 5, 5, 2)]))
    after = _place_one(full, keys(5, 50))
    assert not np.asarray(after.transmissions.alive).any()
    assert np.all(np.asarray(after.next_order) == int(full.next_order))
    state = build_state(Scenario(player=PlayerSpec(0, 0)))
    skipped = placement.place_transmissions(state, stream=random_stream.from_key(jax.random.key(0)), count=jnp.int32(0))
    assert not bool(skipped.transmissions.alive.any())
    none = _place_many(state, keys(6, 4), jnp.asarray(0, jnp.int32))
    assert not np.asarray(none.transmissions.alive).any()


def test_a_pickup_cell_can_be_free():
    """§5.6: "Exit cells and pickup cells can be free." Blocks everywhere but the player's cell (0,0), a pickup on
    (3,3) and the exit (5,5), where a daemon stands: the pickup is the only free cell, so every placement goes
    there (and one fails only with probability (35/36)^200)."""
    open_cells = {(0, 0), (3, 3), (5, 5)}
    blocks = [BlockSpec(r, c, "data") for r in range(N) for c in range(N) if (r, c) not in open_cells]
    state = build_state(Scenario(player=PlayerSpec(0, 0), blocks=blocks, enemies=[EnemySpec("daemon", 5, 5, 3)],
                                 resources=[ResourceSpec(3, 3, data_siphon=True)]))  # fmt: skip
    placed = new_cells(state, _place_one(state, keys(7, 50)))
    assert all(cells == [(3, 3)] for cells in placed)
