"""The scenario builder follows spec §10 and rejects broken scenarios before any JAX work."""

from __future__ import annotations

import re

import jax
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
from test_game_support import ENV, step


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
    assert view["exit_position"] == (5, 5) and view["exit_cells"] == [(5, 5)]
    assert [(b["row"], b["col"]) for b in view["blocks"]] == [(4, 4)]
    assert view["resources"] == [dict(row=5, col=5, credits=0, energy=2, data_siphon=False)]


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
    assert view["resources"] == [dict(row=1, col=1, credits=2, energy=0, data_siphon=False),
                                 dict(row=2, col=2, credits=0, energy=1, data_siphon=False),
                                 dict(row=3, col=3, credits=0, energy=0, data_siphon=True)]  # fmt: skip
    assert view["pickups"] == [(3, 3)]
    # A described resource is a ResourceSpec again.
    assert describe(build_state(Scenario(PlayerSpec(0, 0), resources=[ResourceSpec(**r) for r in view["resources"]])))[
        "resources"
    ] == view["resources"]


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


def test_defaults_of_every_entry():
    # §10 table: player hp 3, credits/energy/siphons 0, attack 1, score 0; enemy flags off; globals stage 1, turn 0,
    # show and calm off; no programs; the board empty apart from the exit.
    scenario = Scenario(PlayerSpec(1, 2), enemies=[EnemySpec("cryptog", 3, 3, 2)],
                        blocks=[BlockSpec(2, 2, "data"), BlockSpec(2, 3, "program", program="PUSH")])  # fmt: skip
    view = describe(build_state(scenario))
    assert view["player"] == dict(row=1, col=2, hp=3, credits=0, energy=0, data_siphons=0, attack_damage=1, score=0)
    assert view["enemies"] == [dict(kind="cryptog", row=3, col=3, hp=2, disabled_turns=0, stunned=False,
                                    from_siphon=False, from_scheduled=False)]  # fmt: skip
    assert view["blocks"] == [
        dict(row=2, col=2, kind="data", points=0, spawn_count=0, siphoned=False, program=None, question=False),
        dict(row=2, col=3, kind="program", points=0, spawn_count=0, siphoned=False, program="PUSH", question=False),
    ]
    assert (view["stage"], view["turn"], view["show"], view["calm"], view["owned_programs"]) == (1, 0, False, False, [])
    assert (view["transmissions"], view["resources"], view["pickups"], view["siphoned_cells"]) == ([], [], [], [])
    assert view["exit_cells"] == [(5, 5)] and view["exit_position"] == (5, 5)
    assert all(total == 0.0 for total in view["reward_totals"].values())


def test_a_resource_can_lie_under_a_block():
    # §10 rule 4 puts credits or energy on the cell whatever its content (hidden under the block, §8).
    view = describe(build_state(Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(2, 2, "data", points=4)],
                                         resources=[ResourceSpec(2, 2, energy=3)])))  # fmt: skip
    assert [(b["row"], b["col"]) for b in view["blocks"]] == [(2, 2)]
    assert view["resources"] == [dict(row=2, col=2, credits=0, energy=3, data_siphon=False)]


def test_later_stages_keep_interval_12_until_a_stage_transition():
    # §10: "the first scheduled transmission appears in the enemy phase in which turn reaches 12 (or the first phase,
    # if the scenario's turn is already >= 12); a scenario with stage 2-8 still uses interval 12".
    wait = C.FIRST_PROGRAM_ACTION + C.WAIT
    state = build_state(Scenario(PlayerSpec(0, 0, energy=2), owned_programs=["WAIT"], stage=6, turn=10))
    state, *_ = step(state, wait)
    assert describe(state)["transmissions"] == [] and describe(state)["turn"] == 11
    state, *_ = step(state, wait)
    view = describe(state)
    assert (view["turn"], view["sched_interval"], view["sched_next"]) == (12, 12, 24)
    assert [(t["countdown"], t["from_scheduled"]) for t in view["transmissions"]] == [(1, True)]
    late = build_state(Scenario(PlayerSpec(0, 0, energy=1), owned_programs=["WAIT"], stage=3, turn=30))
    view = describe(step(late, wait)[0])
    assert (view["turn"], view["sched_next"], len(view["transmissions"])) == (31, 43, 1)


def test_undo_is_masked_until_an_enemy_phase_has_run():
    # §10: "UNDO is unavailable until one enemy phase has run".
    undo = C.FIRST_PROGRAM_ACTION + C.UNDO
    state = build_state(Scenario(PlayerSpec(0, 0, credits=1), owned_programs=["UNDO"], turn=5))
    assert not bool(ENV.action_mask(state)[undo])
    state, *_ = step(state, C.ACTION_UP)
    assert bool(ENV.action_mask(state)[undo])
