"""The enemy phase (§5.2, §5.4 STEP, §5.5 scheduled tasks) on hand-built scenarios and on generated games."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.game import constants as C
from hackmatrix.game import enemy_phase, generation
from hackmatrix.game.scenario import (
    BlockSpec, EnemySpec, PlayerSpec, ResourceSpec, Scenario, TransmissionSpec, build_state, describe,
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


# --- Further rule checks (§5.2-§5.5) ------------------------------------------------------------------------------


def test_each_sub_step_draws_a_fresh_permutation():
    """§5.2 step 4 / §11: "draw a fresh uniformly random permutation of all enemies" per sub-step. Player (0,0),
    viruses A (0,3) and B (1,2). Sub-step 0: A first -> A (0,2), B (1,1); B first -> B (0,2), A (1,3). Sub-step 1
    from the first case: A first -> A (0,1), B (1,0); B first -> B (0,1), A (1,2); from the second case always
    A (1,2), B (0,1). With independent permutations A (0,1), B (1,0) comes up 1/4 of the time (1/2 if sub-step 1
    reused the order of sub-step 0, 0 if it reversed it)."""
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("virus", 0, 3, 2), EnemySpec("virus", 1, 2, 2)],
    ))  # fmt: skip
    n = 400
    after = _phases(state, jax.random.split(jax.random.key(11), n))
    cells = np.stack([np.asarray(after.enemies.row[:, :2]), np.asarray(after.enemies.col[:, :2])], -1)
    a_first = np.all(cells == np.array([[0, 1], [1, 0]]), axis=(1, 2))
    otherwise = np.all(cells == np.array([[1, 2], [0, 1]]), axis=(1, 2))
    assert np.all(a_first | otherwise)
    assert np.all(np.asarray(after.player.hp) == 3)  # nobody was adjacent at its turn
    assert abs(a_first.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)


def test_a_glitch_walks_onto_a_block_and_a_daemon_goes_round():
    # §5.3: passable = not occupied and (glitch, or no block); "Exit cells, pickups and resources never hinder".
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), blocks=[BlockSpec(0, 1, "data", points=1, spawn_count=1)],
        enemies=[EnemySpec("glitch", 0, 2, 2)],
    ))  # fmt: skip
    assert enemies_at(run(state)) == [("glitch", 0, 1)]
    daemon = build_state(Scenario(
        player=PlayerSpec(0, 0), blocks=[BlockSpec(0, 1, "data", points=1, spawn_count=1)],
        enemies=[EnemySpec("daemon", 0, 2, 3)],
    ))  # fmt: skip
    assert enemies_at(run(daemon)) == [("daemon", 1, 2)]  # up (1,2) is 3 steps away, right (0,3) 5


def test_a_daemon_pushed_onto_a_block_leaves_it_normally():
    # §5.3 notes: "A non-glitch enemy that was pushed onto a block may leave it normally."
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), blocks=[BlockSpec(0, 2, "data", points=1, spawn_count=1)],
        enemies=[EnemySpec("daemon", 0, 2, 3)],
    ))  # fmt: skip
    assert enemies_at(run(state)) == [("daemon", 0, 1)]


def test_route_through_occupied_cells_is_taken_when_its_first_cell_is_free():
    """§5.3 step 3. Player (0,0), block (0,1) and (1,1), transmission (1,0): no passable route. Through occupants
    the daemon at (2,2) is 3 steps from the player via left (2,1) and 5 via down (1,2): it moves left. (The
    Manhattan fallback of step 4 would have picked down (1,2), first of the two at distance 3.)"""
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 2, 2, 3)],
        blocks=[BlockSpec(0, 1, "data", points=1), BlockSpec(1, 1, "data", points=1)],
        transmissions=[TransmissionSpec(1, 0, 3, "virus")],
    ))  # fmt: skip
    assert enemies_at(run(state)) == [("daemon", 2, 1)]


def test_a_cell_stays_occupied_while_a_stacked_enemy_remains():
    """§5.3 occupied = "cells where another enemy stands". Daemon A and stunned daemon B share (2,2) (after a
    PUSH/PULL); A leaves to (2,1) but B still stands on (2,2), so daemon C at (2,3) may not enter it and goes up to
    (3,3) (4 steps, first in canonical order), whatever the processing order."""
    state = build_state(Scenario(
        player=PlayerSpec(2, 0),
        enemies=[EnemySpec("daemon", 2, 2, 3), EnemySpec("daemon", 2, 2, 3, stunned=True),
                 EnemySpec("daemon", 2, 3, 3)],
    ))  # fmt: skip
    for seed in range(4):
        assert enemies_at(run(state, seed=seed)) == [("daemon", 2, 1), ("daemon", 2, 2), ("daemon", 3, 3)]


def test_step_keeps_pending_siphon_transmissions_and_disabled_counters():
    # §5.4: "pending siphon transmissions stay pending", "disabled counters are not decremented".
    state = build_state(Scenario(player=PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 3, 3, 3)]))
    e = state.enemies
    state = state._replace(enemies=e._replace(disabled=e.disabled.at[0].set(1)), step_pending=jnp.asarray(True),
                           pending_siphon=jnp.asarray(2, jnp.int32))  # fmt: skip
    skipped = run(state)
    after = describe(skipped)
    assert after["pending_siphon"] == 2 and after["transmissions"] == [] and not after["step"]
    assert [(x["row"], x["col"], x["disabled_turns"]) for x in after["enemies"]] == [(3, 3, 1)]
    ran = describe(run(skipped, seed=1))
    assert ran["pending_siphon"] == 0 and len(ran["transmissions"]) == 2
    assert [(x["row"], x["col"], x["disabled_turns"]) for x in ran["enemies"]] == [(3, 3, 0)]  # disabled: no move


def test_scheduled_then_siphon_transmissions_in_one_phase():
    """§5.2 steps 5-6: the scheduled transmission is created first (from_scheduled only), then the owed siphon ones
    (from_siphon only), all with countdown 1, in that list order."""
    state = build_state(Scenario(player=PlayerSpec(0, 0), turn=11))._replace(pending_siphon=jnp.asarray(2, jnp.int32))
    after = describe(run(state))
    assert after["turn"] == 12 and after["sched_next"] == 24 and after["pending_siphon"] == 0
    assert [(t["from_scheduled"], t["from_siphon"], t["countdown"]) for t in after["transmissions"]] == [
        (True, False, 1), (False, True, 1), (False, True, 1)
    ]  # fmt: skip


def test_scenario_timing_first_scheduled_task_when_turn_reaches_12():
    # §10: "the first scheduled transmission appears in the enemy phase in which turn reaches 12 (or the first
    # phase, if the scenario's turn is already >= 12)"; §5.5.3: sched_next = turn + sched_interval.
    early = describe(run(build_state(Scenario(player=PlayerSpec(0, 0), turn=10))))
    assert early["turn"] == 11 and early["transmissions"] == [] and early["sched_next"] == 12
    late = describe(run(build_state(Scenario(player=PlayerSpec(0, 0), turn=30))))
    assert late["turn"] == 31 and late["sched_next"] == 31 + 12
    assert [t["from_scheduled"] for t in late["transmissions"]] == [True]


def test_transmissions_that_find_no_cell_are_lost():
    """§5.2 step 6: "then pending_siphon = 0 (transmissions that find no cell are lost)"; §5.5.3: the scheduled task
    still sets sched_next = turn + sched_interval. Every cell but the player's and the exit holds a block and a
    stunned daemon stands on the exit, so no cell is free."""
    blocks = [BlockSpec(r, c, "data") for r in range(6) for c in range(6) if (r, c) not in {(0, 0), (5, 5)}]
    state = build_state(Scenario(player=PlayerSpec(0, 0), blocks=blocks, turn=12,
                                 enemies=[EnemySpec("daemon", 5, 5, 3, stunned=True)]))  # fmt: skip
    after = describe(run(state._replace(pending_siphon=jnp.asarray(3, jnp.int32))))
    assert after["transmissions"] == [] and after["pending_siphon"] == 0
    assert after["turn"] == 13 and after["sched_next"] == 25


def test_a_virus_that_walks_next_to_the_player_attacks_only_once():
    # §5.2 step 4: a virus can "move then attack", "never twice"; a daemon either moves or attacks.
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("virus", 0, 2, 2), EnemySpec("daemon", 2, 0, 3)],
    ))  # fmt: skip
    after = run(state)
    assert describe(after)["player"]["hp"] == 2
    assert enemies_at(after) == [("virus", 0, 1), ("daemon", 1, 0)]


def test_exit_pickups_and_resources_never_hinder_enemies():
    # §5.3 notes: "Exit cells, pickups and resources never hinder enemies." Up is first among equally short steps.
    state = build_state(Scenario(
        player=PlayerSpec(5, 2), enemies=[EnemySpec("daemon", 4, 5, 3), EnemySpec("glitch", 1, 2, 2)],
        resources=[ResourceSpec(5, 5, credits=2), ResourceSpec(2, 2, data_siphon=True)],
    ))  # fmt: skip
    assert enemies_at(run(state)) == [("daemon", 5, 5), ("glitch", 2, 2)]


def test_every_enemy_type_attacks_for_exactly_one_damage():
    # §2.3: "Enemies always attack for exactly 1 damage, regardless of type."
    for kinds in (("daemon", "glitch"), ("cryptog", "virus")):
        state = build_state(Scenario(player=PlayerSpec(2, 2), enemies=[EnemySpec(kinds[0], 3, 2, 2),
                                                                        EnemySpec(kinds[1], 2, 3, 2)]))
        assert describe(run(state))["player"]["hp"] == 1, kinds
