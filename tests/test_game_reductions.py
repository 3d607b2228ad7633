"""The CPU-friendly reductions over slot arrays, against plain Python on random inputs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game.reductions import alive_slot, any_each, first_mask, first_per_cell

ALIVE_SLOT = jax.jit(alive_slot)
FIRST_MASK = jax.jit(first_mask)
FIRST_PER_CELL = jax.jit(first_per_cell)
ANY_EACH = jax.jit(any_each)


@pytest.mark.parametrize("size", [36, 84])
def test_alive_slot_counts_alive_slots_modulo_their_number(size):
    rng = np.random.default_rng(size)
    for density in (0.02, 0.1, 0.5, 1.0):
        alive = rng.random(size) < density
        alive[rng.integers(size)] = True
        slots = np.flatnonzero(alive).tolist()
        words = [*range(len(slots) + 2), 2**32 - 1]
        found = [int(ALIVE_SLOT(jnp.asarray(alive), jnp.asarray(word, jnp.uint32))) for word in words]
        assert found == [slots[word % len(slots)] for word in words]
    assert int(ALIVE_SLOT(jnp.zeros(size, bool), jnp.asarray(5, jnp.uint32))) == size


def test_first_mask_and_first_per_cell_follow_the_order_keys():
    rng = np.random.default_rng(0)
    for _ in range(20):
        member = rng.random(48) < 0.5
        cell = rng.integers(0, 6, 48)  # few cells, so many share one
        order = rng.permutation(1000)[:48]
        found, first = FIRST_MASK(jnp.asarray(member), jnp.asarray(order, jnp.int32))
        expected = np.zeros(48, bool)
        if member.any():
            expected[np.flatnonzero(member)[np.argmin(order[member])]] = True
        assert bool(found) == member.any() and np.asarray(first).tolist() == expected.tolist()
        per_cell = FIRST_PER_CELL(jnp.asarray(member), jnp.asarray(cell, jnp.int32), jnp.asarray(order, jnp.int32))
        expected = [bool(m) and all(not (member[j] and cell[j] == cell[i] and order[j] < order[i]) for j in range(48))
                    for i, m in enumerate(member)]  # fmt: skip
        assert np.asarray(per_cell).tolist() == expected


def test_any_each_is_any_of_each_mask():
    rng = np.random.default_rng(1)
    masks = [rng.random(36) < p for p in (0.0, 0.02, 0.3, 1.0, 0.0, 0.05)]
    assert [bool(x) for x in ANY_EACH(*map(jnp.asarray, masks))] == [bool(m.any()) for m in masks]
