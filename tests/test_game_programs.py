"""The 23 programs (spec §4.3) at the action level: ``apply_player_action`` on hand-built states.

Each test compares the whole resulting state (``describe``) with the expected one, so a program that touches a
field it should not is caught too, and checks the reported outcome (turn end, exit, kills).
"""

from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.history import push_snapshot
from hackmatrix.game.scenario import BlockSpec, EnemySpec, PlayerSpec, ResourceSpec, TransmissionSpec, describe
from test_game_actions_support import (
    act,
    build,
    enemy,
    expect,
    mask_of,
    program_action,
    quiet_outcome,
    transmission,
    with_enemy_orders,
    with_scheduled,
)
from test_game_support import step


def run(state, name, key=None):
    return act(state, program_action(name), *(() if key is None else (key,)))


# --- PUSH / PULL ------------------------------------------------------------------------------------------------


def test_push_example_6_collision_refuses_the_later_enemy():
    state = build(player=PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"],
                  enemies=[EnemySpec("glitch", 1, 3, 2), EnemySpec("daemon", 0, 3, 3)])  # fmt: skip
    after, outcome = run(state, "PUSH")
    assert describe(after) == expect(state, player={"energy": 0},
                                     enemies=[enemy("glitch", 0, 4, 2), enemy("daemon", 0, 3, 3)])  # fmt: skip
    assert outcome == quiet_outcome()


def test_push_candidates_prefer_the_farthest_and_drop_off_board_cells():
    state = build(
        player=PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"],
        enemies=[
            EnemySpec("virus", 2, 3, 2),  # same row: only the straight cell (2, 4)
            EnemySpec("daemon", 4, 4, 3),  # diagonal (5, 5), the exit cell, is farthest
            EnemySpec("glitch", 5, 2, 2),  # top edge, same column: no candidate on the board
            EnemySpec("cryptog", 3, 0, 2),  # left edge: diagonal and column step off board, row step (4, 0)
            EnemySpec("virus", 0, 0, 1),  # corner: nothing
        ],
    )  # fmt: skip
    after, _ = run(state, "PUSH")
    assert describe(after)["enemies"] == [
        enemy("virus", 2, 4, 2), enemy("daemon", 5, 5, 3), enemy("glitch", 5, 2, 2), enemy("cryptog", 4, 0, 2),
        enemy("virus", 0, 0, 1),
    ]  # fmt: skip


def test_push_ignores_blocks_transmissions_and_standing_enemies():
    state = build(
        player=PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"],
        enemies=[
            EnemySpec("daemon", 2, 1, 3),  # onto the block at (2, 0), although not a glitch
            EnemySpec("virus", 3, 2, 2),  # onto the transmission at (4, 2)
            EnemySpec("cryptog", 0, 2, 2),  # bottom edge in the player's column: stays
            EnemySpec("glitch", 1, 2, 2),  # onto (0, 2), where the cryptog stays: they stack
        ],
        blocks=[BlockSpec(2, 0, "data", points=3, spawn_count=3)],
        transmissions=[TransmissionSpec(4, 2, 2, "virus")],
    )  # fmt: skip
    after, _ = run(state, "PUSH")
    assert describe(after)["enemies"] == [
        enemy("daemon", 2, 0, 3), enemy("virus", 4, 2, 2), enemy("cryptog", 0, 2, 2), enemy("glitch", 0, 2, 2),
    ]  # fmt: skip
    assert describe(after)["transmissions"] == describe(state)["transmissions"]


def test_pull_example_7():
    state = build(player=PlayerSpec(2, 2, energy=2), owned_programs=["PULL"],
                  enemies=[EnemySpec("glitch", 3, 3, 2), EnemySpec("daemon", 5, 2, 3), EnemySpec("virus", 2, 4, 2)])
    after, outcome = run(state, "PULL")
    assert describe(after) == expect(state, player={"energy": 0}, enemies=[
        enemy("glitch", 2, 3, 2), enemy("daemon", 4, 2, 3), enemy("virus", 2, 4, 2)])  # fmt: skip
    assert outcome == quiet_outcome()


def test_pull_prefers_the_nearest_and_never_enters_the_player_cell():
    state = build(
        player=PlayerSpec(2, 2, energy=2), owned_programs=["PULL"],
        enemies=[
            EnemySpec("virus", 2, 3, 2),  # straight neighbour: its only candidate is the player's cell
            EnemySpec("daemon", 4, 4, 3),  # diagonal (3, 3) is nearest
            EnemySpec("glitch", 0, 3, 2),  # diagonal (1, 2)
            EnemySpec("cryptog", 1, 1, 2),  # diagonal neighbour: takes the row step (2, 1)
        ],
    )  # fmt: skip
    after, _ = run(state, "PULL")
    assert describe(after)["enemies"] == [
        enemy("virus", 2, 3, 2), enemy("daemon", 3, 3, 3), enemy("glitch", 1, 2, 2), enemy("cryptog", 2, 1, 2),
    ]  # fmt: skip


def test_push_pull_collisions_follow_list_order_not_slots():
    # Both want (0, 4) under PUSH; the enemy in the second slot is first in list order, so it wins.
    state = build(player=PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"],
                  enemies=[EnemySpec("glitch", 1, 3, 2), EnemySpec("daemon", 0, 3, 3)])  # fmt: skip
    after, _ = run(with_enemy_orders(state, [7, 3]), "PUSH")
    assert describe(after)["enemies"] == [enemy("daemon", 0, 4, 3), enemy("glitch", 1, 3, 2)]


# --- CRASH --------------------------------------------------------------------------------------------------------


def test_crash_example_9():
    state = build(player=PlayerSpec(3, 3, credits=3, energy=2), owned_programs=["CRASH"],
                  blocks=[BlockSpec(4, 4, "data", points=2, spawn_count=2)], enemies=[EnemySpec("glitch", 2, 2, 2)],
                  transmissions=[TransmissionSpec(2, 3, 1, "daemon")])  # fmt: skip
    state = with_scheduled(state, transmissions=[0])
    after, outcome = run(state, "CRASH")
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0}, blocks=[], enemies=[],
                                     transmissions=[])  # fmt: skip
    assert outcome == quiet_outcome(kills=1)


def test_crash_counts_one_kill_per_cell_by_its_first_entity():
    state = build(
        player=PlayerSpec(3, 3, credits=3, energy=2), owned_programs=["CRASH"],
        enemies=[
            EnemySpec("virus", 2, 2, 2), EnemySpec("daemon", 2, 2, 3),  # stacked, both regular: 1 kill
            EnemySpec("glitch", 4, 3, 2), EnemySpec("cryptog", 4, 3, 2),  # first is scheduled (list order): 0
            EnemySpec("daemon", 3, 5, 3),  # two cells away: untouched
        ],
        transmissions=[TransmissionSpec(3, 4, 1, "virus"), TransmissionSpec(5, 3, 1, "virus")],  # 1 kill, untouched
    )  # fmt: skip
    # Slot 3 (the cryptog) comes first on (4, 3) in list order, and it is from a scheduled task.
    state = with_scheduled(with_enemy_orders(state, [0, 1, 9, 2, 4]), enemies=[3])
    after, outcome = run(state, "CRASH")
    assert describe(after)["enemies"] == [enemy("daemon", 3, 5, 3)]
    assert describe(after)["transmissions"] == [transmission(5, 3, 1, "virus")]
    assert outcome["kills"] == 2


def test_crash_destroys_surrounding_blocks_and_reveals_their_resources():
    state = build(
        player=PlayerSpec(3, 3, credits=3, energy=2), owned_programs=["CRASH"],
        blocks=[BlockSpec(2, 4, "program", program="SHOW", spawn_count=2, siphoned=True),
                BlockSpec(4, 2, "data", points=5, spawn_count=5), BlockSpec(1, 3, "data", points=1, spawn_count=1)],
        resources=[ResourceSpec(4, 2, credits=2)],
    )  # fmt: skip
    after, outcome = run(state, "CRASH")
    # The two surrounding blocks go (the one two cells away stays); flags and the resource stay on their cells.
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0},
                                     blocks=[describe(state)["blocks"][0]])  # fmt: skip
    assert describe(after)["resources"] == [dict(row=4, col=2, credits=2, energy=0, data_siphon=False)]
    assert describe(after)["siphoned_cells"] == [(2, 4)]
    board = jax.device_get(after.board)
    assert (board.block_kind[4, 2], board.points[4, 2], board.spawn[4, 2]) == (C.BLOCK_NONE, 0, 0)
    assert board.program[2, 4] == C.NO_PROGRAM
    assert outcome == quiet_outcome()


# --- WARP ---------------------------------------------------------------------------------------------------------


def test_warp_onto_enemies_removes_all_of_them_with_one_kill():
    state = build(player=PlayerSpec(0, 0, credits=2, energy=2), owned_programs=["WARP"],
                  enemies=[EnemySpec("virus", 3, 2, 2), EnemySpec("daemon", 3, 2, 3)],
                  resources=[ResourceSpec(3, 2, credits=3)])  # fmt: skip
    after, outcome = run(state, "WARP")
    # Nothing is collected at the destination.
    assert describe(after) == expect(state, player={"row": 3, "col": 2, "credits": 0, "energy": 0}, enemies=[])
    assert outcome == quiet_outcome(kills=1)


def test_warp_onto_a_scheduled_enemy_gives_no_kill():
    state = with_scheduled(build(player=PlayerSpec(0, 0, credits=2, energy=2), owned_programs=["WARP"],
                                 enemies=[EnemySpec("virus", 3, 2, 2)]), enemies=[0])  # fmt: skip
    after, outcome = run(state, "WARP")
    assert describe(after)["enemies"] == []
    assert outcome == quiet_outcome(kills=0)


def test_warp_onto_the_exit_position_reaches_the_exit():
    state = build(player=PlayerSpec(0, 0, credits=2, energy=2), owned_programs=["WARP"],
                  transmissions=[TransmissionSpec(5, 5, 2, "glitch")])  # fmt: skip
    after, outcome = run(state, "WARP")
    assert describe(after) == expect(state, player={"row": 5, "col": 5, "credits": 0, "energy": 0},
                                     transmissions=[])  # fmt: skip
    assert outcome == quiet_outcome(reached_exit=True, kills=1)


def test_warp_chooses_uniformly_and_leaves_the_other_kind_on_the_cell():
    # Four candidates: the enemy and the transmission sharing (2, 3) (a pushed enemy), an enemy, a transmission.
    state = build(player=PlayerSpec(0, 0, credits=2, energy=2), owned_programs=["WARP"],
                  enemies=[EnemySpec("glitch", 2, 3, 2), EnemySpec("virus", 4, 1, 2)],
                  transmissions=[TransmissionSpec(2, 3, 1, "daemon"), TransmissionSpec(1, 5, 1, "virus")])
    before = describe(state)
    outcomes = collections.Counter()
    for key in jax.random.split(jax.random.key(1), 200):
        after, outcome = run(state, "WARP", key)
        view = describe(after)
        kept_enemies = [e for e in before["enemies"] if e in view["enemies"]]
        kept_transmissions = [t for t in before["transmissions"] if t in view["transmissions"]]
        removed = len(before["enemies"]) - len(kept_enemies), len(before["transmissions"]) - len(kept_transmissions)
        assert removed in {(1, 0), (0, 1)} and outcome["kills"] == 1
        outcomes[(view["player"]["row"], view["player"]["col"], removed)] += 1
    assert set(outcomes) == {(2, 3, (1, 0)), (4, 1, (1, 0)), (2, 3, (0, 1)), (1, 5, (0, 1))}
    assert all(30 <= count <= 75 for count in outcomes.values()), outcomes  # 50 expected; 4+ sigma bounds


# --- POLY ---------------------------------------------------------------------------------------------------------


def test_poly_example_8_damage_carries_over_and_kills():
    state = build(player=PlayerSpec(2, 2, credits=1, energy=1), owned_programs=["POLY"],
                  enemies=[EnemySpec("daemon", 4, 4, 1), EnemySpec("glitch", 0, 4, 2)])  # fmt: skip
    after, outcome = run(state, "POLY")
    [glitch_became] = describe(after)["enemies"]
    full_hp = dict(zip(C.ENEMY_NAMES, C.ENEMY_MAX_HP.tolist()))
    assert glitch_became["kind"] != "glitch" and glitch_became["hp"] == full_hp[glitch_became["kind"]]
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0}, enemies=[glitch_became])
    assert outcome == quiet_outcome(kills=1)


def test_poly_draws_each_other_type_and_keeps_flags():
    state = build(player=PlayerSpec(2, 2, credits=1, energy=1), owned_programs=["POLY"],
                  enemies=[EnemySpec("virus", 4, 4, 1, stunned=True, from_siphon=True),
                           EnemySpec("daemon", 0, 4, 3)])  # fmt: skip
    disabled = state.enemies.disabled.at[0].set(1)
    state = state._replace(enemies=state.enemies._replace(disabled=disabled))
    lost = {"virus": 1, "daemon": 0}
    full_hp = dict(zip(C.ENEMY_NAMES, C.ENEMY_MAX_HP.tolist()))
    seen = {"virus": collections.Counter(), "daemon": collections.Counter()}
    for key in jax.random.split(jax.random.key(2), 150):
        after, _ = run(state, "POLY", key)
        for old, new in zip(describe(state)["enemies"], describe(after)["enemies"], strict=True):
            assert new["kind"] != old["kind"]
            assert new["hp"] == full_hp[new["kind"]] - lost[old["kind"]]
            assert {k: new[k] for k in ("row", "col", "stunned", "disabled_turns", "from_siphon")} == {
                k: old[k] for k in ("row", "col", "stunned", "disabled_turns", "from_siphon")}
            seen[old["kind"]][new["kind"]] += 1
    for old, counts in seen.items():
        assert set(counts) == set(C.ENEMY_NAMES) - {old}
        assert all(25 <= count <= 75 for count in counts.values()), counts  # 50 expected


def test_poly_kill_of_a_scheduled_enemy_is_not_counted():
    state = with_scheduled(build(player=PlayerSpec(2, 2, credits=1, energy=1), owned_programs=["POLY"],
                                 enemies=[EnemySpec("daemon", 4, 4, 1)]), enemies=[0])  # fmt: skip
    after, outcome = run(state, "POLY")
    assert describe(after)["enemies"] == [] and outcome["kills"] == 0


# --- WAIT, damage programs ----------------------------------------------------------------------------------------


def test_wait_only_pays_and_ends_the_turn():
    state = build(player=PlayerSpec(0, 3, energy=1), owned_programs=["WAIT"], enemies=[EnemySpec("virus", 2, 3, 2)])
    after, outcome = run(state, "WAIT")
    assert describe(after) == expect(state, player={"energy": 0})
    assert outcome == quiet_outcome(ends_turn=True)


def test_debug_hits_enemies_on_blocks_with_attack_damage():
    state = build(
        player=PlayerSpec(0, 0, credits=3, attack_damage=2), owned_programs=["DEBUG"],
        enemies=[EnemySpec("daemon", 2, 2, 3), EnemySpec("virus", 3, 4, 2), EnemySpec("glitch", 2, 3, 2)],
        blocks=[BlockSpec(2, 2, "data", points=1, spawn_count=1),
                BlockSpec(3, 4, "program", program="ROW", spawn_count=2, siphoned=True)],
    )  # fmt: skip
    after, outcome = run(state, "DEBUG")
    assert describe(after) == expect(state, player={"credits": 0},
                                     enemies=[enemy("daemon", 2, 2, 1, stunned=True), enemy("glitch", 2, 3, 2)])
    assert outcome == quiet_outcome(kills=1)


@pytest.mark.parametrize("name", ["ROW", "COL"])
def test_row_and_col_hit_the_whole_line_whatever_lies_between(name):
    # The player's row for ROW, the player's column for COL (the scenario is mirrored for COL).
    def cell(along: int) -> tuple[int, int]:
        return (2, along) if name == "ROW" else (along, 2)

    state = build(
        player=PlayerSpec(2, 2, credits=3, energy=1), owned_programs=[name],
        enemies=[EnemySpec("daemon", *cell(0), 3), EnemySpec("virus", *cell(5), 1),
                 EnemySpec("glitch", *cell(4), 2), EnemySpec("cryptog", *(3, 4), 2)],
        blocks=[BlockSpec(*cell(1), "data", points=1, spawn_count=1),
                BlockSpec(*cell(3), "data", points=1, spawn_count=1)],
    )  # fmt: skip
    after, outcome = run(state, name)
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0}, enemies=[
        enemy("daemon", *cell(0), 2, stunned=True), enemy("glitch", *cell(4), 1, stunned=True),
        enemy("cryptog", 3, 4, 2)])  # fmt: skip
    assert outcome == quiet_outcome(kills=1)


def test_hack_hits_enemies_on_every_siphoned_cell_and_keeps_blocks():
    state = build(
        player=PlayerSpec(0, 0, credits=2, energy=2, attack_damage=3), owned_programs=["HACK"],
        enemies=[EnemySpec("daemon", 2, 2, 3), EnemySpec("virus", 4, 4, 2), EnemySpec("glitch", 1, 4, 2)],
        blocks=[BlockSpec(4, 4, "data", points=2, spawn_count=0, siphoned=True)],
    )  # fmt: skip
    siphoned = state.board.siphoned.at[2, 2].set(True)  # an empty siphoned cell (part of an old siphon cross)
    state = state._replace(board=state.board._replace(siphoned=siphoned))
    after, outcome = run(state, "HACK")
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0}, enemies=[enemy("glitch", 1, 4, 2)])
    assert outcome == quiet_outcome(kills=2)


def test_anti_v_deals_fixed_damage_to_viruses_only():
    state = build(
        player=PlayerSpec(0, 0, credits=3, attack_damage=3), owned_programs=["ANTI-V"],
        enemies=[EnemySpec("virus", 2, 2, 2), EnemySpec("virus", 4, 4, 1), EnemySpec("daemon", 1, 4, 3)],
    )  # fmt: skip
    after, outcome = run(state, "ANTI-V")
    assert describe(after) == expect(state, player={"credits": 0},
                                     enemies=[enemy("virus", 2, 2, 1, stunned=True), enemy("daemon", 1, 4, 3)])
    assert outcome == quiet_outcome(kills=1)


def test_d_bom_example_10():
    state = build(
        player=PlayerSpec(2, 2, credits=3), owned_programs=["D_BOM"],
        enemies=[EnemySpec("daemon", 0, 5, 3), EnemySpec("daemon", 4, 1, 3), EnemySpec("virus", 5, 2, 2),
                 EnemySpec("cryptog", 3, 1, 1)],
    )  # fmt: skip
    after, outcome = run(state, "D_BOM")
    assert describe(after) == expect(state, player={"credits": 0},
                                     enemies=[enemy("daemon", 0, 5, 3), enemy("virus", 5, 2, 1, stunned=True)])
    assert outcome == quiet_outcome(kills=2)


def test_d_bom_ties_go_to_list_order_and_spare_the_daemon_cell():
    state = build(
        player=PlayerSpec(2, 2, credits=3, attack_damage=3), owned_programs=["D_BOM"],
        enemies=[
            EnemySpec("daemon", 2, 4, 3),  # distance 2, but second in list order
            EnemySpec("daemon", 0, 2, 3),  # distance 2, first in list order: the target
            EnemySpec("virus", 0, 2, 2),  # on the target's cell: untouched
            EnemySpec("daemon", 1, 1, 3),  # surrounding the target: 1 damage (not attack_damage), stunned
            EnemySpec("glitch", 1, 3, 1),  # surrounding, scheduled: dies without a kill
        ],
    )  # fmt: skip
    state = with_scheduled(with_enemy_orders(state, [5, 1, 6, 7, 8]), enemies=[4])
    after, outcome = run(state, "D_BOM")
    assert describe(after)["enemies"] == [enemy("daemon", 2, 4, 3), enemy("virus", 0, 2, 2),
                                          enemy("daemon", 1, 1, 2, stunned=True)]  # fmt: skip
    assert outcome["kills"] == 1


# --- scalar programs ----------------------------------------------------------------------------------------------


def test_step_sets_the_flag_even_when_pending():
    state = build(player=PlayerSpec(0, 0, energy=6), owned_programs=["STEP"])
    after, outcome = run(state, "STEP")
    assert describe(after) == expect(state, player={"energy": 3}, step=True) and outcome == quiet_outcome()
    again, _ = run(after, "STEP")
    assert describe(again) == expect(state, player={"energy": 0}, step=True)


def test_siph_plus_adds_a_data_siphon_without_a_collection():
    state = build(player=PlayerSpec(0, 0, credits=5), owned_programs=["SIPH+"])
    after, outcome = run(state, "SIPH+")
    assert describe(after) == expect(state, player={"credits": 0, "data_siphons": 1})
    assert outcome == quiet_outcome()


def test_exch_turns_four_credits_into_four_energy():
    state = build(player=PlayerSpec(0, 0, credits=4, energy=1), owned_programs=["EXCH"])
    after, _ = run(state, "EXCH")
    assert describe(after) == expect(state, player={"credits": 0, "energy": 5})


@pytest.mark.parametrize("name, flag, costs", [("SHOW", "show", {"credits": 0}),
                                               ("CALM", "calm", {"credits": 0, "energy": 0})])
def test_show_and_calm_switch_their_flag_on(name, flag, costs):
    state = build(player=PlayerSpec(0, 0, credits=2, energy=4), owned_programs=[name])
    after, outcome = run(state, name)
    # CALM leaves the scheduled-task timing alone.
    assert describe(after) == expect(state, player=costs, **{flag: True}) and outcome == quiet_outcome()


def test_reset_restores_full_hp():
    state = build(player=PlayerSpec(0, 0, hp=1, energy=4), owned_programs=["RESET"])
    after, _ = run(state, "RESET")
    assert describe(after) == expect(state, player={"hp": 3, "energy": 0})


def test_delay_adds_three_to_every_countdown():
    state = build(player=PlayerSpec(0, 0, credits=1, energy=2), owned_programs=["DELAY"],
                  transmissions=[TransmissionSpec(2, 2, 1, "virus"), TransmissionSpec(3, 4, 2, "daemon")])
    after, _ = run(state, "DELAY")
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0}, transmissions=[
        transmission(2, 2, 4, "virus"), transmission(3, 4, 5, "daemon")])  # fmt: skip


@pytest.mark.parametrize("stage", [1, 3, 7])
def test_score_adds_eight_minus_stage(stage):
    state = build(player=PlayerSpec(0, 0, energy=5, score=2), owned_programs=["SCORE"], stage=stage)
    after, _ = run(state, "SCORE")
    assert describe(after) == expect(state, player={"energy": 0, "score": 2 + 8 - stage})


def test_reduc_lowers_unsiphoned_blocks_including_question_blocks():
    state = build(
        player=PlayerSpec(0, 0, credits=2, energy=1), owned_programs=["REDUC"],
        blocks=[BlockSpec(2, 2, "data", points=3, spawn_count=3), BlockSpec(2, 3, "program", program="WARP"),
                BlockSpec(3, 3, "data", points=2, spawn_count=2, siphoned=True),
                BlockSpec(4, 4, "program", program="HACK", spawn_count=4)],
    )  # fmt: skip
    question = state.board.question.at[4, 4].set(True)
    state = state._replace(board=state.board._replace(question=question))
    after, _ = run(state, "REDUC")
    blocks = describe(state)["blocks"]
    expected_spawns = [2, 0, 2, 3]  # spawn 0 stays 0; the siphoned block is untouched
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0}, blocks=[
        {**block, "spawn_count": spawn} for block, spawn in zip(blocks, expected_spawns, strict=True)])


def test_atk_plus_raises_attack_without_a_cap():
    state = build(player=PlayerSpec(0, 0, credits=4, energy=4, attack_damage=3), owned_programs=["ATK+"])
    state = state._replace(atk_plus_uses=jnp.asarray(1, jnp.int32))
    after, _ = run(state, "ATK+")
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0, "attack_damage": 4},
                                     atk_plus_uses=2)  # fmt: skip
    refilled = after._replace(player=after.player._replace(credits=jnp.asarray(4, jnp.int32),
                                                            energy=jnp.asarray(4, jnp.int32)))
    assert not mask_of(refilled)[program_action("ATK+")]  # two uses per stage


# --- UNDO ---------------------------------------------------------------------------------------------------------


def test_undo_example_16_restores_the_turn_start():
    state = build(player=PlayerSpec(0, 0, credits=6), owned_programs=["EXCH", "UNDO"])
    state = push_snapshot(state)
    exchanged, _ = run(state, "EXCH")
    undone, outcome = run(exchanged, "UNDO")
    assert describe(undone) == expect(state, history_count=0)
    assert outcome == quiet_outcome()
    assert not mask_of(undone)[program_action("UNDO")]


def test_undo_restores_the_snapshot_fields_only_and_clears_origin_flags():
    snapshot_state = build(
        player=PlayerSpec(1, 1, hp=2, credits=3, energy=2, data_siphons=1, attack_damage=2, score=4),
        owned_programs=["UNDO"], enemies=[EnemySpec("virus", 3, 3, 1, stunned=True, from_siphon=True)],
        transmissions=[TransmissionSpec(4, 0, 2, "glitch")],
        blocks=[BlockSpec(2, 2, "data", points=4, spawn_count=4)], resources=[ResourceSpec(0, 3, energy=2)],
        turn=5, show=True,
    )  # fmt: skip
    snapshot_state = with_scheduled(snapshot_state, transmissions=[0])
    snapshot_state = snapshot_state._replace(reward_totals=snapshot_state.reward_totals.at[3].set(0.6))
    older = push_snapshot(build(player=PlayerSpec(0, 0)))  # a second, older snapshot stays on the stack
    state = push_snapshot(snapshot_state._replace(history=older.history))
    # Everything moves on; then UNDO.
    later = build(player=PlayerSpec(5, 0, hp=3, credits=9, energy=1, score=7), owned_programs=["UNDO", "WAIT"],
                  enemies=[EnemySpec("daemon", 0, 5, 3)], stage=2, turn=6, calm=True)  # fmt: skip
    later = later._replace(
        history=state.history, step_pending=jnp.asarray(True), pending_siphon=jnp.asarray(3, jnp.int32),
        sched_interval=jnp.asarray(7, jnp.int32), sched_next=jnp.asarray(20, jnp.int32),
        exit_row=jnp.asarray(0, jnp.int32), exit_col=jnp.asarray(5, jnp.int32),
        reward_totals=jnp.full((C.NUM_REWARD_COMPONENTS,), 2.0),
    )
    undone, outcome = run(later, "UNDO")
    restored = describe(snapshot_state)
    restored["enemies"] = [{**e, "from_siphon": False, "from_scheduled": False} for e in restored["enemies"]]
    restored["transmissions"] = [{**t, "from_scheduled": False} for t in restored["transmissions"]]
    kept = {k: describe(later)[k] for k in ("stage", "exit_position", "sched_interval", "sched_next", "pending_siphon",
                                            "step")}  # fmt: skip
    assert describe(undone) == {**restored, **kept, "history_count": 1}
    assert outcome == quiet_outcome()
    twice, _ = run(undone, "UNDO")
    assert describe(twice)["player"] == describe(older)["player"] and describe(twice)["history_count"] == 0


# --- further edge cases the rules mention -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["PUSH", "PULL"])
def test_push_and_pull_leave_an_enemy_on_the_players_cell_where_it_is(name):
    # §4.3 PUSH: dr = dc = 0, so the only candidate is the enemy's own cell; PULL excludes the player's cell, so it
    # has no desired cell at all. The other enemy moves as usual.
    state = build(player=PlayerSpec(2, 2, energy=2), owned_programs=[name],
                  enemies=[EnemySpec("daemon", 2, 2, 3), EnemySpec("virus", 4, 2, 2)])  # fmt: skip
    after, outcome = run(state, name)
    virus_row = 5 if name == "PUSH" else 3
    assert describe(after) == expect(state, player={"energy": 0},
                                     enemies=[enemy("daemon", 2, 2, 3), enemy("virus", virus_row, 2, 2)])
    assert outcome == quiet_outcome()


def test_push_onto_a_cell_another_enemy_is_leaving_is_allowed():
    # §4.3 PUSH step 2: only a cell another enemy *moved to* refuses an enemy. The first enemy in list order steps
    # onto the cell of an enemy that moves on afterwards; both move.
    state = build(player=PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"],
                  enemies=[EnemySpec("virus", 3, 2, 2), EnemySpec("glitch", 4, 2, 2)])  # fmt: skip
    after, _ = run(state, "PUSH")
    assert describe(after)["enemies"] == [enemy("virus", 4, 2, 2), enemy("glitch", 5, 2, 2)]


def test_crash_spares_pickups_the_exit_and_entities_on_the_players_cell():
    # §4.3 CRASH acts on the surrounding cells (§0: the player's own cell excluded) and destroys blocks only among
    # the cell contents: the exit (5, 5) and a pickup stay, and so do an enemy and a transmission on the player.
    state = build(player=PlayerSpec(4, 4, credits=3, energy=2), owned_programs=["CRASH"],
                  enemies=[EnemySpec("virus", 4, 4, 2), EnemySpec("daemon", 5, 5, 3)],
                  transmissions=[TransmissionSpec(4, 4, 1, "glitch")],
                  resources=[ResourceSpec(3, 5, data_siphon=True)])  # fmt: skip
    after, outcome = run(state, "CRASH")
    assert describe(after) == expect(state, player={"credits": 0, "energy": 0}, enemies=[enemy("virus", 4, 4, 2)])
    assert describe(after)["pickups"] == [(3, 5)] and describe(after)["exit_cells"] == [(5, 5)]
    assert outcome == quiet_outcome(kills=1)


def test_warp_collects_no_pickup_at_the_destination():
    # §4.3 WARP: "No pickup or resource is collected at the destination."
    state = build(player=PlayerSpec(0, 0, credits=2, energy=2), owned_programs=["WARP"],
                  enemies=[EnemySpec("glitch", 0, 5, 2)], resources=[ResourceSpec(0, 5, data_siphon=True)])
    after, outcome = run(state, "WARP")
    assert describe(after) == expect(state, player={"row": 0, "col": 5, "credits": 0, "energy": 0}, enemies=[])
    assert describe(after)["pickups"] == [(0, 5)]
    assert outcome == quiet_outcome(kills=1)


def test_row_hits_an_enemy_on_the_players_cell_and_a_scheduled_death_is_no_kill():
    # §4.3 ROW: every enemy whose row equals the player's row; dead enemies are removed, no kill if from_scheduled.
    state = build(player=PlayerSpec(3, 3, credits=3, energy=1, attack_damage=2), owned_programs=["ROW"],
                  enemies=[EnemySpec("daemon", 3, 3, 3), EnemySpec("virus", 3, 0, 2), EnemySpec("glitch", 2, 3, 2)])
    state = with_scheduled(state, enemies=[1])
    after, outcome = run(state, "ROW")
    assert describe(after)["enemies"] == [enemy("daemon", 3, 3, 1, stunned=True), enemy("glitch", 2, 3, 2)]
    assert outcome == quiet_outcome(kills=0)


def test_undo_restores_attack_damage_atk_plus_uses_and_owned_programs():
    # §4.3 UNDO restores attack_damage, owned_programs and atk_plus_uses (among others).
    state = push_snapshot(build(player=PlayerSpec(0, 0, credits=5, energy=4, data_siphons=1),
                                owned_programs=["ATK+", "UNDO"]))  # fmt: skip
    boosted, _ = run(state, "ATK+")
    assert describe(boosted)["atk_plus_uses"] == 1 and describe(boosted)["player"]["attack_damage"] == 2
    boosted = boosted._replace(owned=boosted.owned.at[C.HACK].set(True))
    undone, _ = run(boosted, "UNDO")
    assert describe(undone) == expect(state, history_count=0)


def test_d_bom_targets_a_daemon_on_the_players_cell_first():
    # §4.3 D_BOM: the daemon at the smallest Manhattan distance (0 here); its surrounding cells are the player's.
    state = build(player=PlayerSpec(2, 2, credits=3), owned_programs=["D_BOM"],
                  enemies=[EnemySpec("daemon", 2, 3, 3), EnemySpec("daemon", 2, 2, 2), EnemySpec("virus", 1, 1, 2)])
    after, outcome = run(state, "D_BOM")
    assert describe(after)["enemies"] == [enemy("daemon", 2, 3, 2, stunned=True), enemy("virus", 1, 1, 1,
                                                                                        stunned=True)]
    assert outcome == quiet_outcome(kills=1)


def test_undo_after_a_step_skipped_phase_also_reverts_the_previous_action_and_step():
    # §4.3 UNDO: no snapshot is pushed by a phase skipped by STEP, so the first UNDO goes back to the snapshot of the
    # turn before and reverts the move and the STEP too (its energy comes back); the step flag is not restored.
    state = build(player=PlayerSpec(0, 0, credits=1, energy=4), owned_programs=["WAIT", "STEP", "UNDO"])
    state, *_ = step(state, program_action("WAIT"))  # snapshot: energy 3, turn 1
    snapshot = describe(state)
    state, *_ = step(state, program_action("STEP"))
    state, *_ = step(state, C.ACTION_UP)  # the phase is skipped: no snapshot, the flag clears
    assert (describe(state)["player"]["row"], describe(state)["turn"], describe(state)["step"]) == (1, 1, False)
    undone, _, _, done, _ = step(state, program_action("UNDO"))
    view = describe(undone)
    assert view["player"] == snapshot["player"] and view["turn"] == 1
    assert (view["step"], view["history_count"], done) == (False, 0, False)


def test_undo_keeps_a_pending_step_flag():
    # §4.3 UNDO: "Not restored: ... step". STEP's energy is refunded by the restore but the flag stays on.
    state = build(player=PlayerSpec(0, 0, credits=1, energy=4), owned_programs=["WAIT", "STEP", "UNDO"])
    state, *_ = step(state, program_action("WAIT"))
    state, *_ = step(state, program_action("STEP"))
    undone, *_ = step(state, program_action("UNDO"))
    view = describe(undone)
    assert (view["player"]["energy"], view["player"]["credits"], view["step"]) == (3, 1, True)


def test_atk_plus_damage_persists_into_the_next_stage_while_uses_show_and_calm_reset():
    # §4.3 ATK+: attack_damage persists across stages, atk_plus_uses resets at every stage start; SHOW and CALM last
    # for the rest of the stage (through enemy phases) and a new stage turns them off.
    state = build(player=PlayerSpec(3, 5, credits=8, energy=8), owned_programs=["ATK+", "SHOW", "CALM"])
    for name in ("ATK+", "SHOW", "CALM"):
        state, *_ = step(state, program_action(name))
    state, *_ = step(state, C.ACTION_UP)  # an enemy phase runs
    view = describe(state)
    assert (view["player"]["attack_damage"], view["atk_plus_uses"], view["show"], view["calm"]) == (2, 1, True, True)
    state, *_ = step(state, C.ACTION_UP)  # onto the exit (5, 5): stage 2
    view = describe(state)
    assert view["stage"] == 2
    assert (view["player"]["attack_damage"], view["atk_plus_uses"], view["show"], view["calm"]) == (2, 0, False, False)


@pytest.mark.parametrize("name", ["PUSH", "PULL"])
def test_push_and_pull_match_a_direct_reading_of_the_rule_on_random_crowds(name):
    """§4.3 PUSH/PULL straight from the wording: candidates, farthest/nearest, earlier on ties, then list order."""
    rng = np.random.default_rng(5 if name == "PUSH" else 6)
    kinds = ["virus", "daemon", "glitch", "cryptog"]

    def reference(player, enemies):
        pr, pc = player
        desired = []
        for r, c in enemies:
            away = -1 if name == "PULL" else 1
            dr, dc = int(np.sign(r - pr)) * away, int(np.sign(c - pc)) * away
            candidates = [(r + dr, c + dc)] + ([(r + dr, c)] if dr else []) + ([(r, c + dc)] if dc else [])
            candidates = [(a, b) for a, b in candidates if 0 <= a < 6 and 0 <= b < 6
                          and not (name == "PULL" and (a, b) == (pr, pc))]  # fmt: skip
            key = (lambda q: abs(q[0] - pr) + abs(q[1] - pc)) if name == "PULL" else (
                lambda q: -(abs(q[0] - pr) + abs(q[1] - pc)))
            desired.append(min(candidates, key=key) if candidates else None)  # min keeps the earliest on ties
        moved_to, result = set(), []
        for (r, c), want in zip(enemies, desired, strict=True):
            if want is not None and want not in moved_to:
                moved_to.add(want)
                result.append(want)
            else:
                result.append((r, c))
        return result

    for _ in range(25):
        player = tuple(int(x) for x in rng.integers(0, 6, 2))
        n = int(rng.integers(1, 9))
        cells = [tuple(int(x) for x in rng.integers(0, 6, 2)) for _ in range(n)]  # may stack, even on the player
        state = build(player=PlayerSpec(*player, energy=2), owned_programs=[name],
                      enemies=[EnemySpec(kinds[i % 4], r, c, 1) for i, (r, c) in enumerate(cells)])  # fmt: skip
        after, _ = run(state, name)
        assert [(e["row"], e["col"]) for e in describe(after)["enemies"]] == reference(player, cells), (player, cells)


def test_only_wait_ends_the_turn():
    # §4.3 common procedure step 3: only WAIT ends the turn (the enemy phase runs: turn + 1, a snapshot); every other
    # program leaves the player free to act again.
    state = build(
        player=PlayerSpec(2, 2, hp=2, credits=50, energy=50), owned_programs=list(C.PROGRAM_NAMES),
        enemies=[EnemySpec("daemon", 2, 3, 3), EnemySpec("virus", 3, 3, 2), EnemySpec("glitch", 4, 2, 2)],
        transmissions=[TransmissionSpec(1, 1, 1, "virus")],
        blocks=[BlockSpec(2, 3, "data", points=1, siphoned=True), BlockSpec(0, 4, "data", points=2, spawn_count=2)],
    )  # fmt: skip
    state = push_snapshot(state)
    assert mask_of(state)[5:] == [True] * C.NUM_PROGRAMS
    for name in C.PROGRAM_NAMES:
        after, *_ = step(state, program_action(name))
        view = describe(after)
        expected = (1, 2) if name == "WAIT" else (0, 0 if name == "UNDO" else 1)
        assert (view["turn"], view["history_count"]) == expected, name
