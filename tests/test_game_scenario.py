"""The scenario builder follows spec §10 and rejects broken scenarios before any JAX work."""

from __future__ import annotations

import re

import jax
import pytest

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


def test_entities_keep_the_given_order_and_fields():
    scenario = Scenario(
        player=PlayerSpec(2, 2, hp=2, credits=5, energy=7, data_siphons=1, attack_damage=2, score=9),
        enemies=[EnemySpec("glitch", 4, 4, 1, stunned=True), EnemySpec("virus", 0, 3, 2, from_siphon=True),
                 EnemySpec("daemon", 1, 5, 3, from_scheduled=True)],
        transmissions=[TransmissionSpec(3, 1, 4, "cryptog"), TransmissionSpec(0, 1, 1, "daemon")],
    )  # fmt: skip
    view = describe(build_state(scenario, jax.random.key(0)))
    assert view["player"] == dict(row=2, col=2, hp=2, credits=5, energy=7, data_siphons=1, attack_damage=2, score=9)
    assert [(e["kind"], e["row"], e["col"], e["hp"]) for e in view["enemies"]] == [
        ("glitch", 4, 4, 1), ("virus", 0, 3, 2), ("daemon", 1, 5, 3)]  # fmt: skip
    assert [(e["stunned"], e["from_siphon"], e["from_scheduled"]) for e in view["enemies"]] == [
        (True, False, False), (False, True, False), (False, False, True)]  # fmt: skip
    assert all(e["disabled_turns"] == 0 for e in view["enemies"])
    assert view["transmissions"] == [
        dict(row=3, col=1, countdown=4, kind="cryptog", from_siphon=False, from_scheduled=False),
        dict(row=0, col=1, countdown=1, kind="daemon", from_siphon=False, from_scheduled=False),
    ]


def test_globals_are_reset_regardless_of_stage_and_turn():
    view = describe(build_state(Scenario(PlayerSpec(0, 0), stage=5, turn=20, show=True, calm=True)))
    assert (view["stage"], view["turn"], view["show"], view["calm"]) == (5, 20, True, True)
    assert (view["sched_interval"], view["sched_next"], view["pending_siphon"]) == (12, 12, 0)
    assert (view["step"], view["atk_plus_uses"], view["history_count"]) == (False, 0, 0)
    assert view["siphon_centers"] == [] and view["owned_programs"] == []


def test_exit_is_forced_to_the_top_right_corner_keeping_its_resource():
    scenario = Scenario(
        PlayerSpec(0, 0),
        blocks=[BlockSpec(5, 5, "data", points=3, spawn_count=3), BlockSpec(4, 4, "data", points=2)],
        resources=[ResourceSpec(5, 5, energy=2)],
    )
    view = describe(build_state(scenario))
    assert view["exit"] == (5, 5) and view["exit_cells"] == [(5, 5)]
    assert [(b["row"], b["col"]) for b in view["blocks"]] == [(4, 4)]
    assert view["resources"] == [dict(row=5, col=5, credits=0, energy=2)]


def test_exit_replaces_a_pickup_on_its_cell():
    view = describe(build_state(Scenario(PlayerSpec(0, 0), resources=[ResourceSpec(5, 5, data_siphon=True)])))
    assert view["pickups"] == [] and view["exit_cells"] == [(5, 5)]


@pytest.mark.parametrize("hp, expected", [(-2, 3), (0, 0), (1, 1), (3, 3), (7, 3)])
def test_player_hp_outside_zero_to_three_is_three(hp, expected):
    assert describe(build_state(Scenario(PlayerSpec(1, 1, hp=hp))))["player"]["hp"] == expected


def test_resources_one_type_per_cell_credits_win_and_pickups_ignore_amounts():
    scenario = Scenario(
        PlayerSpec(0, 0),
        resources=[ResourceSpec(1, 1, credits=2, energy=3), ResourceSpec(2, 2, energy=1),
                   ResourceSpec(3, 3, credits=3, energy=3, data_siphon=True)],
    )  # fmt: skip
    view = describe(build_state(scenario))
    assert view["resources"] == [dict(row=1, col=1, credits=2, energy=0), dict(row=2, col=2, credits=0, energy=1)]
    assert view["pickups"] == [(3, 3)]


def test_blocks_by_program_name_or_action_index():
    scenario = Scenario(
        PlayerSpec(0, 0),
        blocks=[BlockSpec(1, 2, "program", program="SIPH+", spawn_count=7),
                BlockSpec(2, 1, "program", program=21, siphoned=True),
                BlockSpec(3, 3, "data", points=9, spawn_count=9)],
        owned_programs=["d_bom", 27],
    )  # fmt: skip
    view = describe(build_state(scenario))
    assert view["blocks"] == [
        dict(row=1, col=2, kind="program", points=0, spawn_count=7, siphoned=False, program="SIPH+", question=False),
        dict(row=2, col=1, kind="program", points=0, spawn_count=0, siphoned=True, program="D_BOM", question=False),
        dict(row=3, col=3, kind="data", points=9, spawn_count=9, siphoned=False, program=None, question=False),
    ]
    assert view["siphoned_cells"] == [(2, 1)]
    assert view["owned_programs"] == ["D_BOM", "HACK"]


@pytest.mark.parametrize(
    "scenario, message",
    [
        (Scenario(PlayerSpec(2, 2), blocks=[BlockSpec(1, 1, "data"), BlockSpec(2, 3, "data"),
                                            BlockSpec(2, 3, "data")]),
         "blocks[2]: cell (2, 3) already holds a block"),
        (Scenario(PlayerSpec(6, 0)), "player: cell (6, 0) is off the 6x6 board"),
        (Scenario(PlayerSpec(0, 0), enemies=[EnemySpec("virus", 1, 1, 1), EnemySpec("virus", 1, -1, 1)]),
         "enemies[1]: cell (1, -1) is off"),
        (Scenario(PlayerSpec(0, 0), enemies=[EnemySpec("dragon", 1, 1, 1)]), "enemies[0]: unknown enemy kind"),
        (Scenario(PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 1, 1, -1)]), "enemies[0]: hp -1"),
        (Scenario(PlayerSpec(0, 0), transmissions=[TransmissionSpec(1, 1, 1, "virus"),
                                                   TransmissionSpec(1, 1, 2, "virus")]),
         "transmissions[1]: cell (1, 1) already holds a transmission"),
        (Scenario(PlayerSpec(0, 0), transmissions=[TransmissionSpec(1, 1, 0, "virus")]), "transmissions[0]: countdown"),
        (Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(1, 1, "program", program="NOPE")]),
         "blocks[0]: unknown program 'NOPE'"),
        (Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(1, 1, "program")]), "blocks[0]: a program block needs"),
        (Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(1, 1, "question")]), "blocks[0]: unknown block kind"),
        (Scenario(PlayerSpec(0, 0), owned_programs=[5, 4]), "owned_programs[1]: unknown program 4"),
        (Scenario(PlayerSpec(0, 0), resources=[ResourceSpec(1, 1, credits=1), ResourceSpec(1, 1, energy=1)]),
         "resources[1]: cell (1, 1) already holds a resource"),
        (Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(1, 1, "data")], resources=[ResourceSpec(1, 1, data_siphon=True)]),
         "resources[0]: cell (1, 1) holds a block"),
        (Scenario(PlayerSpec(0, 0, attack_damage=0)), "player: attack_damage 0"),
        (Scenario(PlayerSpec(0, 0), stage=9), "stage: 9"),
    ],
)  # fmt: skip
def test_broken_scenarios_name_the_offending_entry(scenario, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build_state(scenario)
