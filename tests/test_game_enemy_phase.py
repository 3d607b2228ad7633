"""The enemy phase (§5.2, §5.4 STEP, §5.5 scheduled tasks) on hand-built scenarios and on generated games."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.game import constants as C
from hackmatrix.game import enemy_phase, generation
from hackmatrix.game.scenario import (
    BlockSpec, EnemySpec, PlayerSpec, Scenario, TransmissionSpec, build_state, describe,
)  # fmt: skip

_phase = jax.jit(lambda state, key, where: enemy_phase.run_enemy_phase(state, key=key, where=where))
_phases = jax.jit(jax.vmap(lambda state, key: enemy_phase.run_enemy_phase(state, key=key), in_axes=(None, 0)))


def run(state, seed=0, where=True):
    return _phase(state, jax.random.key(seed), jnp.asarray(where))


def enemies_at(state):
    return [(e["kind"], e["row"], e["col"]) for e in describe(state)["enemies"]]


def test_example_3_virus_moves_then_attacks():
    state = build_state(Scenario(player=PlayerSpec(0, 3), enemies=[EnemySpec("virus", 2, 3, 2)]))
    after = describe(run(state))
    assert after["player"]["hp"] == 2
    assert [(e["row"], e["col"]) for e in after["enemies"]] == [(1, 3)]
    assert after["turn"] == 1


def test_example_2_daemon_takes_the_first_canonical_shortest_step():
    state = build_state(Scenario(
        player=PlayerSpec(2, 2), blocks=[BlockSpec(2, 3, "data", points=1, spawn_count=1)],
        enemies=[EnemySpec("daemon", 2, 5, 3)],
    ))  # fmt: skip
    assert enemies_at(run(state)) == [("daemon", 3, 5)]


def test_example_17_fallback_at_the_phase_level():
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 1, 1, 3)],
        transmissions=[TransmissionSpec(1, 0, 2, "virus"), TransmissionSpec(0, 1, 2, "virus")],
    ))  # fmt: skip
    after = describe(run(state))
    assert [(e["row"], e["col"]) for e in after["enemies"]] == [(2, 1)]
    assert [t["countdown"] for t in after["transmissions"]] == [1, 1]


def test_adjacent_virus_attacks_once_and_does_not_move():
    state = build_state(Scenario(player=PlayerSpec(2, 2), enemies=[EnemySpec("virus", 2, 3, 2)]))
    after = describe(run(state))
    assert after["player"]["hp"] == 2
    assert enemies_at(run(state)) == [("virus", 2, 3)]


def test_only_viruses_take_two_steps():
    state = build_state(Scenario(
        player=PlayerSpec(0, 0),
        enemies=[EnemySpec("virus", 5, 0, 2), EnemySpec("daemon", 0, 5, 3), EnemySpec("cryptog", 5, 5, 2)],
    ))  # fmt: skip
    assert enemies_at(run(state)) == [("virus", 3, 0), ("daemon", 0, 4), ("cryptog", 4, 5)]


def test_transmissions_mature_first_and_new_enemies_wait_a_phase():
    state = build_state(Scenario(
        player=PlayerSpec(0, 0),
        transmissions=[TransmissionSpec(0, 1, 1, "daemon"), TransmissionSpec(4, 4, 2, "glitch")],
    ))  # fmt: skip
    first = run(state)
    after = describe(first)
    assert after["player"]["hp"] == 3  # the adjacent new daemon is disabled this phase
    assert after["enemies"] == [dict(kind="daemon", row=0, col=1, hp=3, disabled_turns=0, stunned=False,
                                     from_siphon=False, from_scheduled=False)]  # fmt: skip
    assert [(t["row"], t["col"], t["countdown"]) for t in after["transmissions"]] == [(4, 4, 1)]
    second = describe(run(first, seed=1))
    assert second["player"]["hp"] == 2  # now it attacks
    assert enemies_at(run(first, seed=1)) == [("daemon", 0, 1), ("glitch", 4, 4)]


def test_matured_enemies_keep_the_transmissions_list_order_and_origin():
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 5, 5, 3)],
        transmissions=[TransmissionSpec(3, 3, 1, "virus"), TransmissionSpec(2, 4, 1, "cryptog")],
    ))  # fmt: skip
    t = state.transmissions
    state = state._replace(transmissions=t._replace(from_siphon=t.from_siphon.at[1].set(True)))
    after = describe(run(state))
    assert [(e["kind"], e["from_siphon"]) for e in after["enemies"]] == [
        ("daemon", False), ("virus", False), ("cryptog", True)
    ]  # fmt: skip


def test_stunned_and_disabled_enemies_skip_then_recover():
    state = build_state(Scenario(
        player=PlayerSpec(2, 2), enemies=[EnemySpec("daemon", 2, 3, 3, stunned=True), EnemySpec("virus", 0, 0, 2)],
    ))  # fmt: skip
    e = state.enemies
    state = state._replace(enemies=e._replace(disabled=e.disabled.at[1].set(1)))
    after = describe(run(state))
    assert after["player"]["hp"] == 3
    assert [(x["row"], x["col"], x["stunned"], x["disabled_turns"]) for x in after["enemies"]] == [
        (2, 3, False, 0), (0, 0, False, 0)
    ]  # fmt: skip


def test_processing_continues_after_the_player_dies():
    state = build_state(Scenario(
        player=PlayerSpec(2, 2, hp=1),
        enemies=[EnemySpec("daemon", 2, 3, 3), EnemySpec("daemon", 2, 1, 3), EnemySpec("glitch", 5, 5, 2)],
    ))  # fmt: skip
    after = run(state)
    assert describe(after)["player"]["hp"] == 0
    assert enemies_at(after)[2] == ("glitch", 4, 5)


def test_step_skips_the_whole_phase_example_14():
    state = build_state(Scenario(
        player=PlayerSpec(0, 1), transmissions=[TransmissionSpec(4, 4, 1, "virus")],
        enemies=[EnemySpec("daemon", 3, 5, 3, stunned=True)], turn=6,
    ))._replace(step_pending=jnp.asarray(True))  # fmt: skip
    skipped = run(state)
    after = describe(skipped)
    assert not after["step"]
    assert after["turn"] == 6 and after["history_count"] == 0
    assert after["transmissions"][0]["countdown"] == 1
    assert after["enemies"][0]["stunned"] and (after["enemies"][0]["row"], after["enemies"][0]["col"]) == (3, 5)
    next_phase = describe(run(skipped, seed=1))
    assert next_phase["turn"] == 7 and next_phase["history_count"] == 1
    assert next_phase["transmissions"] == []
    # The daemon, still stunned, skipped once more; the matured virus was disabled; both are reset now.
    assert [(e["kind"], e["row"], e["col"], e["stunned"], e["disabled_turns"]) for e in next_phase["enemies"]] == [
        ("daemon", 3, 5, False, 0), ("virus", 4, 4, False, 0)
    ]  # fmt: skip


def test_where_false_changes_nothing():
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("virus", 3, 3, 2)],
        transmissions=[TransmissionSpec(1, 4, 1, "daemon")],
    ))._replace(step_pending=jnp.asarray(True), pending_siphon=jnp.asarray(2, jnp.int32))  # fmt: skip
    after = run(state, where=False)
    for a, b in zip(jax.tree.leaves(after), jax.tree.leaves(state)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def stage_2_state(turn, sched_next, calm=False):
    """Example 15: stage 2, sched_interval 10 after one siphon, sched_next as given."""
    state = build_state(Scenario(player=PlayerSpec(0, 0), stage=2, turn=turn, calm=calm))
    return state._replace(sched_interval=jnp.asarray(10, jnp.int32), sched_next=jnp.asarray(sched_next, jnp.int32))


def test_example_15_scheduled_task_timing():
    before = run(stage_2_state(turn=14, sched_next=16))
    assert describe(before)["transmissions"] == [] and describe(before)["sched_next"] == 16
    fired = run(before, seed=1)
    after = describe(fired)
    assert after["turn"] == 16 and after["sched_next"] == 26
    assert [(t["countdown"], t["from_scheduled"], t["from_siphon"]) for t in after["transmissions"]] == [
        (1, True, False)
    ]  # fmt: skip
    matured = describe(run(fired, seed=2))
    assert matured["turn"] == 17 and matured["transmissions"] == []
    assert [(e["from_scheduled"], e["disabled_turns"]) for e in matured["enemies"]] == [(True, 0)]


def test_calm_suppresses_scheduled_tasks_without_advancing_them():
    after = describe(run(stage_2_state(turn=20, sched_next=16, calm=True)))
    assert after["transmissions"] == [] and after["sched_next"] == 16 and after["turn"] == 21


def test_late_scheduled_task_fires_once_per_phase():
    after = describe(run(stage_2_state(turn=40, sched_next=16)))
    assert len(after["transmissions"]) == 1 and after["sched_next"] == 41 + 10


def test_siphon_transmissions_come_last_and_do_not_mature():
    state = build_state(Scenario(player=PlayerSpec(2, 2), transmissions=[TransmissionSpec(5, 0, 1, "virus")]))
    state = state._replace(pending_siphon=jnp.asarray(5, jnp.int32))
    after = describe(run(state))
    assert after["pending_siphon"] == 0
    assert [(e["kind"], e["row"], e["col"]) for e in after["enemies"]] == [("virus", 5, 0)]
    created = after["transmissions"]
    assert len(created) == 5 and all(t["from_siphon"] and t["countdown"] == 1 for t in created)
    cells = {(t["row"], t["col"]) for t in created}
    assert len(cells) == 5 and (2, 2) not in cells and (5, 0) not in cells


def test_snapshot_is_pushed_at_the_end():
    state = build_state(Scenario(player=PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 0, 3, 3, stunned=True)]))
    after = run(state)
    h = after.history
    assert int(h.count) == 1
    snapshot = jax.tree.map(lambda x: x[h.top], h.snapshots)
    assert int(snapshot.turn) == 1
    np.testing.assert_array_equal(np.asarray(snapshot.enemies.stunned), np.asarray(after.enemies.stunned))
    np.testing.assert_array_equal(np.asarray(snapshot.enemies.col), np.asarray(after.enemies.col))


def test_processing_order_is_a_fair_random_permutation():
    """Daemons at (0,2) and (1,1) both want (0,1) next to the player at (0,0): whoever acts first gets it and the
    other goes around, (1,0) or (1,2). Each order should come up about half the time."""
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 0, 2, 3), EnemySpec("daemon", 1, 1, 3)],
    ))  # fmt: skip
    n = 400
    after = _phases(state, jax.random.split(jax.random.key(3), n))
    cells = np.stack([np.asarray(after.enemies.row[:, :2]), np.asarray(after.enemies.col[:, :2])], -1)
    first_wins = np.all(cells == np.array([[0, 1], [1, 0]]), axis=(1, 2))
    second_wins = np.all(cells == np.array([[1, 2], [0, 1]]), axis=(1, 2))
    assert np.all(first_wins | second_wins)
    assert abs(first_wins.mean() - 0.5) < 4 * 0.5 / np.sqrt(n)


_new_games = jax.jit(jax.vmap(generation.new_game))
_steps = jax.jit(jax.vmap(lambda s, k: enemy_phase.run_enemy_phase(s, key=k)))
_completions = jax.jit(jax.vmap(lambda s, k: generation.complete_stage(s, key=k)))


def test_generated_play_keeps_enemies_on_distinct_free_cells():
    """Several phases on generated games: enemies never share a cell with each other, a transmission or the
    player, and only glitches stand on blocks."""
    boards = 32
    states = _new_games(jax.random.split(jax.random.key(4), boards))
    key = jax.random.key(5)
    seen_enemies = 0
    for round_ in range(12):
        key, a, b = jax.random.split(key, 3)
        states = _steps(states, jax.random.split(a, boards))
        if round_ % 4 == 3:
            states = _completions(states, jax.random.split(b, boards))
        s = jax.device_get((states.enemies, states.transmissions, states.player, states.board.content))
        e, t, p, content = s
        for i in range(boards):
            cells = [(r, c) for r, c, alive in zip(e.row[i], e.col[i], e.alive[i]) if alive]
            seen_enemies += len(cells)
            assert len(set(cells)) == len(cells)
            assert not set(cells) & {(r, c) for r, c, alive in zip(t.row[i], t.col[i], t.alive[i]) if alive}
            assert (p.row[i], p.col[i]) not in cells
            on_block = [content[i, r, c] == C.CONTENT_BLOCK for r, c in cells]
            kinds = [k for k, alive in zip(e.kind[i], e.alive[i]) if alive]
            assert all(k == C.GLITCH for k, blocked in zip(kinds, on_block) if blocked)
    assert seen_enemies > boards * 12


def test_a_transmission_maturing_into_a_full_enemy_list_is_lost():
    cells = [(r, c) for r in range(C.BOARD_SIZE) for c in range(C.BOARD_SIZE) if (r, c) not in {(0, 0), (5, 5)}]
    crowd = [EnemySpec("daemon", r, c, 3, stunned=True) for r, c in (cells * 2)[: C.MAX_ENEMIES]]
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=crowd, transmissions=[TransmissionSpec(5, 5, 1, "virus")],
    ))  # fmt: skip
    after = describe(run(state))
    assert len(after["enemies"]) == C.MAX_ENEMIES and after["transmissions"] == []
    assert all(e["kind"] == "daemon" for e in after["enemies"])
