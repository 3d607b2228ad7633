"""The UNDO history's storage: a ring of HISTORY_SIZE snapshots, conditional pushes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.game import constants as C
from hackmatrix.game.history import pop_snapshot, push_snapshot, top_snapshot
from hackmatrix.game.scenario import BlockSpec, EnemySpec, PlayerSpec, Scenario, TransmissionSpec, build_state
from hackmatrix.game.state import snapshot_of


def busy_state():
    state = build_state(Scenario(
        player=PlayerSpec(1, 2, hp=2, credits=7, energy=3, data_siphons=1, attack_damage=2, score=11),
        enemies=[EnemySpec("cryptog", 4, 4, 2, stunned=True, from_siphon=True), EnemySpec("glitch", 0, 5, 1)],
        transmissions=[TransmissionSpec(3, 0, 2, "daemon")],
        blocks=[BlockSpec(2, 2, "program", spawn_count=3, program="D_BOM"), BlockSpec(3, 3, "data", points=4)],
        owned_programs=["SIPH+", 27], stage=5, turn=9, show=True,
    ))  # fmt: skip
    return state._replace(reward_totals=jnp.linspace(-2.5, 1e6, C.NUM_REWARD_COMPONENTS, dtype=jnp.float32))


def assert_trees_equal(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_push_then_top_returns_the_state_as_it_was_and_a_false_push_changes_nothing():
    state = busy_state()
    pushed = push_snapshot(state)
    assert int(pushed.history.count) == 1
    assert_trees_equal(top_snapshot(pushed.history), snapshot_of(state))
    assert_trees_equal(push_snapshot(state, where=False).history, state.history)


def test_the_ring_keeps_the_newest_history_size_snapshots():
    state = busy_state()
    for turn in range(C.HISTORY_SIZE + 3):
        state = push_snapshot(state._replace(turn=jnp.int32(turn)))
    assert int(state.history.count) == C.HISTORY_SIZE
    turns = []
    while int(state.history.count):
        turns.append(int(top_snapshot(state.history).turn))
        state = pop_snapshot(state)
    assert turns == list(range(C.HISTORY_SIZE + 2, 2, -1))
