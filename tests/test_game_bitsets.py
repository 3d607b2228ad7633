"""The small building blocks of the enemy phase: slot sets, cell bitboards and the counter-based random stream."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.game import bitboard, random_stream, slot_set
from hackmatrix.game import constants as C

N = C.BOARD_SIZE


def test_slot_set_members_order_and_removal():
    rng = np.random.default_rng(0)
    members = rng.random((20, C.MAX_ENEMIES)) < 0.4
    sets = jax.vmap(slot_set.of)(jnp.asarray(members))
    np.testing.assert_array_equal(np.asarray(jax.vmap(lambda s: s.size())(sets)), members.sum(1))
    slots = jnp.arange(C.MAX_ENEMIES)
    contains = jax.vmap(lambda s: jax.vmap(s.contains)(slots))(sets)
    np.testing.assert_array_equal(np.asarray(contains), members)
    nth = jax.jit(jax.vmap(lambda s: jax.vmap(s.nth)(slots)))(sets)
    for row, member in zip(np.asarray(nth), members):
        np.testing.assert_array_equal(row[: member.sum()], np.flatnonzero(member))
    first = np.asarray(jax.vmap(lambda s: s.nth(jnp.int32(0)))(sets))
    removed = jax.vmap(lambda s, f: s.without(f))(sets, jnp.asarray(first))
    after = np.asarray(jax.vmap(lambda s: jax.vmap(s.contains)(slots))(removed))
    expected = members.copy()
    expected[np.arange(20), first] = False
    np.testing.assert_array_equal(after, expected)


def test_bitboard_shifts_and_indices():
    cells = jnp.arange(N * N)
    index = jax.vmap(lambda i: bitboard.index(bitboard.at_index(i)))(cells)
    np.testing.assert_array_equal(np.asarray(index), np.arange(N * N))
    for d_row, d_col in C.DIRECTIONS.tolist():
        shift = lambda i, dr=d_row, dc=d_col: bitboard.to_grid(bitboard.shift(bitboard.at_index(i), dr, dc))  # noqa: E731
        shifted = jax.vmap(shift)(cells)
        for i, grid in enumerate(np.asarray(shifted)):
            r, c = divmod(i, N)
            target = (r + d_row, c + d_col)
            on_board = 0 <= target[0] < N and 0 <= target[1] < N
            assert grid.sum() == on_board and (not on_board or grid[target])
    rows, cols = jnp.asarray([0, 5, 5, 2]), jnp.asarray([0, 5, 5, 3])
    occupied = bitboard.to_grid(bitboard.of_entities(jnp.asarray([True, True, True, False]), rows, cols))
    assert {tuple(x) for x in np.argwhere(np.asarray(occupied))} == {(0, 0), (5, 5)}


def test_random_stream_is_uniform_and_draws_are_independent():
    stream = random_stream.from_key(jax.random.key(7))
    u = np.asarray(random_stream.uniform(stream, 3, (20000,)))
    assert 0 <= u.min() and u.max() < 1
    assert np.all(np.abs(np.histogram(u, 10, (0, 1))[0] / 20000 - 0.1) < 5 * np.sqrt(0.09 / 20000))
    by_counter = np.asarray(jax.vmap(lambda c: random_stream.uniform(stream, c))(jnp.arange(20000)))
    assert abs(np.corrcoef(by_counter[:-1], by_counter[1:])[0, 1]) < 0.03
    by_key = jax.vmap(lambda k: random_stream.uniform(random_stream.from_key(k), 0))(
        jax.random.split(jax.random.key(8), 20000)
    )
    assert abs(float(by_key.mean()) - 0.5) < 0.01
    child = random_stream.substream(stream, 3)
    pair = np.stack([u[:2000], np.asarray(random_stream.uniform(child, 3, (2000,)))])
    assert abs(np.corrcoef(pair)[0, 1]) < 0.1
    below = np.asarray(random_stream.below(stream, 4, 7, (7000,)))
    assert below.min() == 0 and below.max() == 6
    assert np.all(np.abs(np.bincount(below) / 7000 - 1 / 7) < 5 * np.sqrt((1 / 7) * (6 / 7) / 7000))
