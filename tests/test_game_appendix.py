"""Every worked example of the spec appendix (1-19), played through ``HackMatrix.step``.

Each test builds the example with the scenario builder, takes the example's action(s) and compares the *whole*
resulting state (``describe``) with what the example says, plus every reward component (unnamed ones are 0).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.scenario import (
    BlockSpec,
    EnemySpec,
    PlayerSpec,
    ResourceSpec,
    Scenario,
    TransmissionSpec,
    build_state,
    describe,
)
from test_game_support import OBSERVE, assert_components, step, with_exit

WAIT, PUSH, PULL, CRASH, POLY, D_BOM = (C.FIRST_PROGRAM_ACTION + p for p in (C.WAIT, C.PUSH, C.PULL, C.CRASH, C.POLY,
                                                                             C.D_BOM))  # fmt: skip
STEP_PROGRAM, UNDO, EXCH, WARP = (C.FIRST_PROGRAM_ACTION + p for p in (C.STEP, C.UNDO, C.EXCH, C.WARP))


def expect(view: dict, components: dict[str, float], **changes) -> dict:
    """``view`` (a ``describe`` result) with ``changes`` applied (``player`` merged) and ``components`` added to its
    reward totals."""
    expected = {**view, **changes, "player": {**view["player"], **changes.get("player", {})}}
    expected["reward_totals"] = pytest.approx(
        {name: total + components.get(name, 0.0) for name, total in view["reward_totals"].items()}, abs=1e-5
    )
    return expected


def test_example_01_shooting_a_transmission_down_a_column():
    state = with_exit(build_state(Scenario(PlayerSpec(1, 2), transmissions=[TransmissionSpec(4, 2, 2, "virus")])),
                      5, 0)  # fmt: skip
    before = describe(state)
    after, _, reward, done, components = step(state, C.ACTION_UP)
    assert_components(components, step_penalty=-0.01, kills=0.3)
    assert reward == pytest.approx(0.29) and not done
    assert describe(after) == expect(before, components, transmissions=[], turn=1, history_count=1)


def test_example_02_a_block_stops_the_line_and_the_pathfinding_tie_break():
    scenario = Scenario(PlayerSpec(2, 1), enemies=[EnemySpec("daemon", 2, 5, 3)],
                        blocks=[BlockSpec(2, 3, "data", points=3, spawn_count=3)])  # fmt: skip
    state = with_exit(build_state(scenario), 0, 0)
    before = describe(state)
    after, _, reward, done, components = step(state, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01)
    assert reward == pytest.approx(-0.01) and not done
    moved_daemon = [{**before["enemies"][0], "row": 3, "col": 5}]
    assert describe(after) == expect(before, components, player={"col": 2}, enemies=moved_daemon, turn=1,
                                     history_count=1)  # fmt: skip


def test_example_03_virus_moves_then_attacks():
    scenario = Scenario(PlayerSpec(0, 3, energy=1), enemies=[EnemySpec("virus", 2, 3, 2)], owned_programs=["WAIT"])
    state = with_exit(build_state(scenario), 5, 0)
    before = describe(state)
    after, _, reward, done, components = step(state, WAIT)
    assert_components(components, step_penalty=-0.01, resource_gain=-0.05, damage_penalty=-1.0)
    assert reward == pytest.approx(-1.06) and not done
    moved_virus = [{**before["enemies"][0], "row": 1}]
    assert describe(after) == expect(before, components, player={"energy": 0, "hp": 2}, enemies=moved_virus, turn=1,
                                     history_count=1)  # fmt: skip


def test_example_04_siphoning_a_cross():
    scenario = Scenario(
        PlayerSpec(2, 2, data_siphons=1),
        blocks=[BlockSpec(3, 2, "data", points=4, spawn_count=4), BlockSpec(2, 3, "program", program="DEBUG",
                                                                            spawn_count=4)],
        resources=[ResourceSpec(2, 2, credits=2), ResourceSpec(2, 1, energy=3)],
        turn=3,
    )  # fmt: skip
    state = build_state(scenario)
    before = describe(state)
    after, _, reward, done, components = step(state, C.ACTION_SIPHON)
    assert_components(components, step_penalty=-0.01, score_gain=2.0, resource_gain=0.25)
    assert reward == pytest.approx(2.24) and not done
    view = describe(after)
    transmissions = view["transmissions"]
    assert len(transmissions) == 8
    assert all(t["countdown"] == 1 and t["from_siphon"] and not t["from_scheduled"] for t in transmissions)
    cells = {(t["row"], t["col"]) for t in transmissions}
    assert len(cells) == 8 and not cells & {(2, 2), (3, 2), (2, 3)}
    siphoned_blocks = [{**b, "spawn_count": 0, "siphoned": True} for b in before["blocks"]]
    assert view == expect(
        before, components, player={"score": 4, "credits": 2, "energy": 3, "data_siphons": 0},
        blocks=siphoned_blocks, resources=[], siphoned_cells=[(1, 2), (2, 1), (2, 2), (2, 3), (3, 2)],
        siphon_centers=[(2, 2)], owned_programs=["DEBUG"], sched_interval=11, sched_next=17, pending_siphon=0,
        turn=4, transmissions=transmissions, history_count=1,
    )  # fmt: skip


def test_example_05_suboptimal_siphon_position():
    scenario = Scenario(
        PlayerSpec(1, 0, data_siphons=1),
        blocks=[BlockSpec(1, 1, "data", points=2, spawn_count=2)],
        resources=[ResourceSpec(0, 0, credits=1), ResourceSpec(2, 2, credits=2), ResourceSpec(1, 3, energy=1)],
    )
    state = build_state(scenario)
    before = describe(state)
    after, _, reward, done, components = step(state, C.ACTION_SIPHON)
    assert_components(components, step_penalty=-0.01, score_gain=1.0, resource_gain=0.05, siphon_quality=-0.05)
    assert reward == pytest.approx(0.99) and not done
    view = describe(after)
    assert len(view["transmissions"]) == 2
    assert all(t["from_siphon"] and t["countdown"] == 1 for t in view["transmissions"])
    assert view == expect(
        before, components, player={"score": 2, "credits": 1, "data_siphons": 0},
        blocks=[{**before["blocks"][0], "spawn_count": 0, "siphoned": True}],
        resources=[r for r in before["resources"] if (r["row"], r["col"]) != (0, 0)],
        siphoned_cells=[(0, 0), (1, 0), (1, 1), (2, 0)], siphon_centers=[(1, 0)], sched_interval=11,
        sched_next=17, turn=1, transmissions=view["transmissions"], history_count=1,
    )  # fmt: skip


def test_example_06_push_with_a_collision():
    scenario = Scenario(PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"],
                        enemies=[EnemySpec("glitch", 1, 3, 2), EnemySpec("daemon", 0, 3, 3)])  # fmt: skip
    state = build_state(scenario)
    before = describe(state)
    after, _, reward, done, components = step(state, PUSH)
    assert_components(components, step_penalty=-0.01, resource_gain=-0.10)
    assert reward == pytest.approx(-0.11) and not done
    enemies = [{**before["enemies"][0], "row": 0, "col": 4}, before["enemies"][1]]
    assert describe(after) == expect(before, components, player={"energy": 0}, enemies=enemies)


def test_example_07_pull_of_a_diagonal_neighbour():
    scenario = Scenario(
        PlayerSpec(2, 2, energy=2),
        enemies=[EnemySpec("glitch", 3, 3, 2), EnemySpec("daemon", 5, 2, 3), EnemySpec("virus", 2, 4, 2)],
        owned_programs=["PULL"],
    )
    state = build_state(scenario)
    before = describe(state)
    after, _, reward, done, components = step(state, PULL)
    assert_components(components, step_penalty=-0.01, resource_gain=-0.10)
    assert reward == pytest.approx(-0.11) and not done
    glitch, daemon, virus = before["enemies"]
    enemies = [{**glitch, "row": 2, "col": 3}, {**daemon, "row": 4}, virus]
    assert describe(after) == expect(before, components, player={"energy": 0}, enemies=enemies)


def test_example_08_poly_kills_a_wounded_daemon():
    scenario = Scenario(PlayerSpec(2, 2, credits=1, energy=1), enemies=[EnemySpec("daemon", 4, 4, 1),
                        EnemySpec("glitch", 0, 4, 2)], owned_programs=["POLY"])  # fmt: skip
    state = build_state(scenario)
    before = describe(state)
    new_kinds = set()
    for seed in range(24):
        after, _, reward, done, components = step(state, POLY, jax.random.key(seed))
        assert_components(components, step_penalty=-0.01, kills=0.3, resource_gain=-0.10)
        assert reward == pytest.approx(0.19) and not done
        view = describe(after)
        [glitch] = view["enemies"]
        assert glitch["kind"] in {"virus", "daemon", "cryptog"}
        assert glitch["hp"] == C.ENEMY_MAX_HP[C.ENEMY_INDEX[glitch["kind"]]]
        new_kinds.add(glitch["kind"])
        unchanged_but_kind = {**before["enemies"][1], "kind": glitch["kind"], "hp": glitch["hp"]}
        assert view == expect(before, components, player={"credits": 0, "energy": 0}, enemies=[unchanged_but_kind])
    assert new_kinds == {"virus", "daemon", "cryptog"}


def test_example_09_crash():
    scenario = Scenario(
        PlayerSpec(3, 3, credits=3, energy=2), blocks=[BlockSpec(4, 4, "data", points=5, spawn_count=5)],
        enemies=[EnemySpec("glitch", 2, 2, 2)], transmissions=[TransmissionSpec(2, 3, 1, "daemon")],
        owned_programs=["CRASH"],
    )  # fmt: skip
    state = build_state(scenario)
    t = state.transmissions
    state = state._replace(transmissions=t._replace(from_scheduled=t.from_scheduled.at[0].set(True)))
    before = describe(state)
    after, _, reward, done, components = step(state, CRASH)
    assert_components(components, step_penalty=-0.01, kills=0.3, resource_gain=-0.25)
    assert reward == pytest.approx(0.04) and not done
    assert describe(after) == expect(before, components, player={"credits": 0, "energy": 0}, blocks=[], enemies=[],
                                     transmissions=[])  # fmt: skip


def test_example_10_d_bom():
    scenario = Scenario(
        PlayerSpec(2, 2, credits=3),
        enemies=[EnemySpec("daemon", 0, 5, 3), EnemySpec("daemon", 4, 1, 3), EnemySpec("virus", 5, 2, 2),
                 EnemySpec("cryptog", 3, 1, 1)],
        owned_programs=["D_BOM"],
    )  # fmt: skip
    state = build_state(scenario)
    before = describe(state)
    after, _, reward, done, components = step(state, D_BOM)
    assert_components(components, step_penalty=-0.01, kills=0.6, resource_gain=-0.15)
    assert reward == pytest.approx(0.44) and not done
    far_daemon, _, virus, _ = before["enemies"]
    enemies = [far_daemon, {**virus, "hp": 1, "stunned": True}]
    assert describe(after) == expect(before, components, player={"credits": 0}, enemies=enemies)


def test_example_11_completing_a_stage():
    scenario = Scenario(PlayerSpec(4, 0, hp=2, credits=7, energy=3), enemies=[EnemySpec("daemon", 2, 4, 3)],
                        stage=3, turn=7, show=True, calm=True, owned_programs=["STEP", "ATK+"],
                        blocks=[BlockSpec(1, 1, "data", points=1, spawn_count=1)])  # fmt: skip
    state = with_exit(build_state(scenario), 5, 0)
    state = state._replace(step_pending=jnp.asarray(True), atk_plus_uses=jnp.asarray(1, jnp.int32))
    before = describe(state)
    after, _, reward, done, components = step(state, C.ACTION_UP)
    assert_components(components, step_penalty=-0.01, stage_completion=4.0, distance_shaping=0.05,
                      hp_recovery=1.0, resource_holding=0.10)  # fmt: skip
    assert reward == pytest.approx(5.14) and not done
    view = describe(after)
    [exit_cell] = view["exit_cells"]
    assert view["exit_position"] == exit_cell and exit_cell in C.CORNERS and exit_cell != (5, 0)
    assert sorted(view["pickups"]) == sorted(set(C.CORNERS) - {(5, 0), exit_cell})
    blocks = {(b["row"], b["col"]) for b in view["blocks"]}
    assert 5 <= len(blocks) <= 11 and not blocks & set(C.CORNERS)
    resources = {(r["row"], r["col"]): r for r in view["resources"]}
    non_block_cells = {(r, c) for r in range(6) for c in range(6)} - blocks - {exit_cell}
    assert set(resources) == non_block_cells
    assert all((r["credits"] == 0) != (r["energy"] == 0) and max(r["credits"], r["energy"]) <= 3
               for r in resources.values())  # fmt: skip
    assert len(view["transmissions"]) == 4 and all(t["countdown"] == 1 for t in view["transmissions"])
    generated = {key: view[key] for key in ("exit_cells", "exit_position", "pickups", "blocks", "resources",
                                            "transmissions")}  # fmt: skip
    assert view == expect(
        before, components, player={"row": 5, "hp": 3}, stage=4, turn=0, sched_interval=9, sched_next=9,
        show=False, calm=False, step=False, atk_plus_uses=0, history_count=0, **generated,
    )  # fmt: skip


def test_example_12_victory():
    state = with_exit(build_state(Scenario(PlayerSpec(0, 4, score=12), stage=8)), 0, 5)
    before = describe(state)
    after, obs, reward, done, components = step(state, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01, stage_completion=100.0, distance_shaping=0.05,
                      victory=1700.0)  # fmt: skip
    assert reward == pytest.approx(1800.04) and done
    assert describe(after) == expect(before, components, player={"col": 5}, stage=9)
    assert float(obs.player[5]) == pytest.approx(8 / 7)


def test_example_13_death_to_a_siphon_spawned_enemy():
    scenario = Scenario(PlayerSpec(3, 3, hp=1, energy=1), enemies=[EnemySpec("daemon", 3, 4, 3, from_siphon=True)],
                        owned_programs=["WAIT"], stage=4)  # fmt: skip
    state = build_state(scenario)
    before = describe(state)
    after, _, reward, done, components = step(state, WAIT)
    assert_components(components, step_penalty=-0.01, resource_gain=-0.05, damage_penalty=-1.0, death_penalty=-3.5,
                      siphon_death_penalty=-10.0)  # fmt: skip
    assert reward == pytest.approx(-14.56) and done
    assert describe(after) == expect(before, components, player={"hp": 0, "energy": 0}, turn=1, history_count=1)


def test_example_14_step_skips_a_whole_enemy_phase():
    scenario = Scenario(PlayerSpec(0, 0, energy=3), transmissions=[TransmissionSpec(4, 4, 1, "glitch")],
                        enemies=[EnemySpec("daemon", 3, 5, 3, stunned=True)], owned_programs=["STEP"],
                        turn=6)  # fmt: skip
    state = build_state(scenario)
    start = describe(state)

    state_a, _, reward, done, components = step(state, STEP_PROGRAM)
    assert_components(components, step_penalty=-0.01, resource_gain=-0.15)
    assert reward == pytest.approx(-0.16) and not done
    view_a = describe(state_a)
    assert view_a == expect(start, components, player={"energy": 0}, step=True)

    state_b, _, reward, done, components = step(state_a, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01, distance_shaping=0.05)
    assert reward == pytest.approx(0.04) and not done
    view_b = describe(state_b)
    assert view_b == expect(view_a, components, player={"col": 1}, step=False)

    # The next phase that runs: the transmission matures (disabled that phase), the stunned daemon skips once more.
    state_c, _, reward, done, components = step(state_b, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01, distance_shaping=0.05)
    daemon = {**view_b["enemies"][0], "stunned": False}
    glitch = dict(kind="glitch", row=4, col=4, hp=2, disabled_turns=0, stunned=False, from_siphon=False,
                  from_scheduled=False)  # fmt: skip
    assert describe(state_c) == expect(view_b, components, player={"col": 2}, turn=7, transmissions=[],
                                       enemies=[daemon, glitch], history_count=1)  # fmt: skip


def test_example_15_scheduled_task_timing():
    scenario = Scenario(PlayerSpec(0, 0, data_siphons=1, energy=20, credits=2), stage=2, turn=4,
                        owned_programs=["WAIT", "WARP"])  # fmt: skip
    state = build_state(scenario)
    state = state._replace(sched_interval=jnp.asarray(11, jnp.int32), sched_next=jnp.asarray(11, jnp.int32))
    state, *_ = step(state, C.ACTION_SIPHON)
    view = describe(state)
    assert (view["sched_interval"], view["sched_next"], view["turn"]) == (10, 16, 5)
    for turn in range(6, 16):
        state, *_ = step(state, WAIT, jax.random.key(turn))
        assert describe(state)["transmissions"] == []
    state, *_ = step(state, WAIT, jax.random.key(16))
    view = describe(state)
    [scheduled] = view["transmissions"]
    assert (view["turn"], view["sched_next"], view["enemies"]) == (16, 26, [])
    assert scheduled["from_scheduled"] and not scheduled["from_siphon"] and scheduled["countdown"] == 1
    state, *_ = step(state, WAIT, jax.random.key(17))
    view = describe(state)
    [enemy] = view["enemies"]
    assert view["turn"] == 17 and view["transmissions"] == [] and view["player"]["hp"] == 3
    assert enemy == dict(kind=scheduled["kind"], row=scheduled["row"], col=scheduled["col"],
                         hp=int(C.ENEMY_MAX_HP[C.ENEMY_INDEX[scheduled["kind"]]]), disabled_turns=0, stunned=False,
                         from_siphon=False, from_scheduled=True)  # fmt: skip
    state, _, _, _, components = step(state, WARP)  # the only target: the scheduled enemy
    assert components["kills"] == 0.0 and describe(state)["enemies"] == []


def test_example_16_undo_within_a_turn_and_a_second_undo():
    scenario = Scenario(PlayerSpec(2, 2, credits=6, energy=2), owned_programs=["WAIT", "EXCH", "UNDO"])
    state = build_state(scenario)
    state, *_ = step(state, WAIT)  # snapshot S1: energy 1
    after_first_turn = describe(state)
    state, *_ = step(state, WAIT)  # snapshot S2: credits 6, energy 0
    start_of_turn = describe(state)
    assert (start_of_turn["player"]["credits"], start_of_turn["player"]["energy"]) == (6, 0)

    state, _, _, _, components = step(state, EXCH)
    assert_components(components, step_penalty=-0.01)  # resource_gain -0.20 + 0.20 = 0
    assert (int(state.player.credits), int(state.player.energy)) == (2, 4)

    state, _, reward, done, components = step(state, UNDO)
    assert_components(components)
    assert reward == pytest.approx(0.0) and not done
    # The episode's return is now its value at the snapshot minus 0.01.
    assert describe(state) == expect(start_of_turn, {"step_penalty": -0.01}, history_count=1)

    state, _, reward, done, components = step(state, UNDO)  # back to the start of the previous turn
    assert_components(components, step_penalty=0.01, resource_gain=0.05)
    assert describe(state) == expect(after_first_turn, {"step_penalty": -0.01}, history_count=0)


def test_example_17_enemy_movement_fallback():
    scenario = Scenario(PlayerSpec(0, 0, energy=1), owned_programs=["WAIT"], enemies=[EnemySpec("daemon", 1, 1, 3)],
                        transmissions=[TransmissionSpec(1, 0, 3, "virus"),
                                       TransmissionSpec(0, 1, 3, "virus")])  # fmt: skip
    state = build_state(scenario)
    before = describe(state)
    after, _, _, _, components = step(state, WAIT)
    assert_components(components, step_penalty=-0.01, resource_gain=-0.05)
    enemies = [{**before["enemies"][0], "row": 2}]
    transmissions = [{**t, "countdown": 2} for t in before["transmissions"]]
    assert describe(after) == expect(before, components, player={"energy": 0}, enemies=enemies,
                                     transmissions=transmissions, turn=1, history_count=1)  # fmt: skip


def test_example_18_encoding_some_cells():
    scenario = Scenario(
        PlayerSpec(1, 1, credits=75, energy=20, data_siphons=2, attack_damage=2),
        blocks=[BlockSpec(4, 3, "program", program="CALM", spawn_count=6)],
        enemies=[EnemySpec("cryptog", 3, 4, 2), EnemySpec("cryptog", 1, 4, 1, stunned=True)],
        transmissions=[TransmissionSpec(2, 1, 6, "daemon")],
        resources=[ResourceSpec(0, 5, data_siphon=True)],
        stage=3,
    )
    state = build_state(scenario)
    state = state._replace(board=state.board._replace(energy=state.board.energy.at[0, 5].set(2)))
    obs = OBSERVE(state)
    grid = np.asarray(obs.grid)
    expected_cells = {
        (4, 3): {8: 1.0, 12 + C.CALM: 1.0, 35: 6 / 9},
        (3, 4): {},
        (1, 4): {3: 1.0, 4: 1 / 3, 5: 1.0},
        (0, 5): {39: 1.0, 38: 2 / 3},
        (2, 1): {36: 1.0},
        (5, 5): {40: 1.0},
    }
    for (r, c), channels in expected_cells.items():
        expected = np.zeros(C.NUM_GRID_CHANNELS, np.float32)
        expected[list(channels)] = list(channels.values())
        np.testing.assert_allclose(grid[r, c], expected, atol=1e-6, err_msg=f"cell ({r}, {c})")
    others = np.ones((6, 6), bool)
    others[tuple(np.array(list(expected_cells)).T)] = False
    assert not grid[others].any()
    np.testing.assert_allclose(obs.player[3:8], [1.0, 0.4, 2 / 7, 0.2, 0.5], atol=1e-6)


def test_example_19_movement_mask():
    scenario = Scenario(
        PlayerSpec(2, 2),
        blocks=[BlockSpec(3, 2, "data", points=1, spawn_count=1), BlockSpec(2, 1, "data", points=2, spawn_count=2)],
        enemies=[EnemySpec("glitch", 3, 2, 2), EnemySpec("daemon", 2, 5, 3)],
    )
    state = build_state(scenario)
    mask = np.asarray(OBSERVE(state).action_mask)
    assert mask.tolist() == [True, True, False, True] + [False] * 24
    before = describe(state)
    # Right attacks the daemon from range; in the enemy phase the stunned daemon skips, the glitch attacks.
    after, _, _, _, components = step(state, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01, damage_penalty=-1.0)
    glitch, daemon = before["enemies"]
    assert describe(after) == expect(before, components, player={"hp": 2}, enemies=[glitch, {**daemon, "hp": 2}],
                                     turn=1, history_count=1)  # fmt: skip
