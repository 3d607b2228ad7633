"""Direction actions (spec §4.1): the line-of-fire target search, attacks, and moves with pickup collection."""

from __future__ import annotations

import numpy as np
import pytest

from hackmatrix.game.scenario import BlockSpec, EnemySpec, PlayerSpec, ResourceSpec, TransmissionSpec, describe
from test_game_actions_support import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    act,
    build,
    enemy,
    expect,
    mask_of,
    quiet_outcome,
    transmission,
    with_enemy_orders,
    with_scheduled,
)

ENDS_TURN = dict(ends_turn=True)


def test_example_1_shooting_a_transmission_down_a_column():
    state = build(player=PlayerSpec(1, 2), transmissions=[TransmissionSpec(4, 2, 2, "virus")])
    after, outcome = act(state, UP)
    assert describe(after) == expect(state, transmissions=[])
    assert outcome == quiet_outcome(**ENDS_TURN, kills=1)


def test_a_scheduled_transmission_gives_no_kill():
    state = with_scheduled(build(player=PlayerSpec(1, 2), transmissions=[TransmissionSpec(4, 2, 2, "virus")]),
                           transmissions=[0])  # fmt: skip
    after, outcome = act(state, UP)
    assert describe(after)["transmissions"] == [] and outcome == quiet_outcome(**ENDS_TURN, kills=0)


def test_example_2_a_block_stops_the_line_and_the_player_moves():
    state = build(player=PlayerSpec(2, 1), blocks=[BlockSpec(2, 3, "data", points=1, spawn_count=1)],
                  enemies=[EnemySpec("daemon", 2, 5, 3)])  # fmt: skip
    after, outcome = act(state, RIGHT)
    assert describe(after) == expect(state, player={"col": 2})
    assert outcome == quiet_outcome(**ENDS_TURN)


def test_example_19_attacks_an_enemy_on_a_block_and_one_at_range():
    state = build(player=PlayerSpec(2, 2), enemies=[EnemySpec("glitch", 3, 2, 2), EnemySpec("daemon", 2, 5, 3)],
                  blocks=[BlockSpec(3, 2, "data", points=2, spawn_count=2),
                          BlockSpec(2, 1, "data", points=1, spawn_count=1)])  # fmt: skip
    up, outcome = act(state, UP)
    assert describe(up) == expect(state, enemies=[enemy("glitch", 3, 2, 1, stunned=True), enemy("daemon", 2, 5, 3)])
    assert outcome == quiet_outcome(**ENDS_TURN)
    right, outcome = act(state, RIGHT)
    assert describe(right) == expect(state, enemies=[enemy("glitch", 3, 2, 2), enemy("daemon", 2, 5, 2, stunned=True)])
    assert outcome == quiet_outcome(**ENDS_TURN)
    down, _ = act(state, DOWN)
    assert describe(down) == expect(state, player={"row": 1})


def test_no_range_limit_and_attack_damage_kills():
    state = build(player=PlayerSpec(0, 0, attack_damage=2), enemies=[EnemySpec("virus", 5, 0, 2)])
    after, outcome = act(state, UP)
    assert describe(after) == expect(state, enemies=[])
    assert outcome == quiet_outcome(**ENDS_TURN, kills=1)


def test_killing_a_scheduled_enemy_gives_no_kill():
    state = with_scheduled(build(player=PlayerSpec(0, 0), enemies=[EnemySpec("virus", 0, 3, 1)]), enemies=[0])
    after, outcome = act(state, RIGHT)
    assert describe(after)["enemies"] == [] and outcome["kills"] == 0


def test_a_transmission_comes_before_an_enemy_on_the_same_cell():
    state = build(player=PlayerSpec(3, 3), enemies=[EnemySpec("daemon", 3, 1, 3)],
                  transmissions=[TransmissionSpec(3, 1, 1, "glitch")])  # fmt: skip
    after, outcome = act(state, LEFT)
    assert describe(after) == expect(state, transmissions=[])
    assert outcome == quiet_outcome(**ENDS_TURN, kills=1)


def test_the_nearest_thing_on_the_line_is_hit():
    # A transmission farther away than an enemy does not shield it, and vice versa.
    state = build(player=PlayerSpec(0, 2), enemies=[EnemySpec("virus", 2, 2, 2), EnemySpec("daemon", 5, 2, 3)],
                  transmissions=[TransmissionSpec(4, 2, 1, "glitch"), TransmissionSpec(0, 4, 1, "virus")],
                  blocks=[BlockSpec(0, 5, "data", points=1, spawn_count=1)])  # fmt: skip
    up, _ = act(state, UP)
    assert describe(up) == expect(state, enemies=[enemy("virus", 2, 2, 1, stunned=True), enemy("daemon", 5, 2, 3)])
    right, _ = act(state, RIGHT)
    assert describe(right) == expect(state, transmissions=[transmission(4, 2, 1, "glitch")])


def test_stacked_enemies_the_first_in_list_order_is_hit():
    state = build(player=PlayerSpec(0, 0), enemies=[EnemySpec("virus", 0, 4, 2), EnemySpec("daemon", 0, 4, 3)])
    after, _ = act(with_enemy_orders(state, [5, 2]), RIGHT)
    assert describe(after)["enemies"] == [enemy("daemon", 0, 4, 2, stunned=True), enemy("virus", 0, 4, 2)]


def test_entities_on_the_player_cell_or_behind_are_not_targets():
    state = build(player=PlayerSpec(2, 2), enemies=[EnemySpec("virus", 2, 2, 2), EnemySpec("daemon", 2, 0, 3)],
                  transmissions=[TransmissionSpec(2, 2, 1, "glitch")])  # fmt: skip
    after, outcome = act(state, RIGHT)
    assert describe(after) == expect(state, player={"col": 3})
    assert outcome == quiet_outcome(**ENDS_TURN)


@pytest.mark.parametrize("direction, cell", [(UP, (3, 2)), (DOWN, (1, 2)), (LEFT, (2, 1)), (RIGHT, (2, 3))])
def test_moves_go_one_cell_in_the_canonical_direction(direction, cell):
    state = build(player=PlayerSpec(2, 2))
    after, outcome = act(state, direction)
    assert describe(after) == expect(state, player={"row": cell[0], "col": cell[1]})
    assert outcome == quiet_outcome(**ENDS_TURN)


def test_walking_collects_a_pickup_but_not_credits_or_energy():
    state = build(player=PlayerSpec(0, 1, data_siphons=1),
                  resources=[ResourceSpec(0, 0, data_siphon=True), ResourceSpec(1, 1, credits=3)])  # fmt: skip
    onto_pickup, outcome = act(state, LEFT)
    assert describe(onto_pickup) == expect(state, player={"col": 0, "data_siphons": 2}, pickups=[],
                                           resources=[dict(row=1, col=1, credits=3, energy=0, data_siphon=False)])
    assert outcome == quiet_outcome(**ENDS_TURN, pickup_collected=True)
    onto_credits, outcome = act(state, UP)
    assert describe(onto_credits) == expect(state, player={"row": 1})
    assert outcome == quiet_outcome(**ENDS_TURN)


def test_moving_onto_the_exit_reaches_it_without_ending_the_turn():
    state = build(player=PlayerSpec(4, 5))
    after, outcome = act(state, UP)
    assert describe(after) == expect(state, player={"row": 5})
    assert outcome == quiet_outcome(reached_exit=True)


def test_a_siphoned_block_stops_the_line_of_fire():
    # §4.1 Decision: blocks stop the line of fire (siphoned ones too); the player moves instead.
    state = build(player=PlayerSpec(2, 1), blocks=[BlockSpec(2, 3, "data", points=2, siphoned=True)],
                  enemies=[EnemySpec("virus", 2, 5, 2)])  # fmt: skip
    after, outcome = act(state, RIGHT)
    assert describe(after) == expect(state, player={"col": 2})
    assert outcome == quiet_outcome(**ENDS_TURN)


def test_pickups_resources_siphoned_cells_and_the_exit_do_not_stop_the_line():
    # §4.1 step 1: only a transmission, an enemy or a block ends the search; the exit (5, 5) holds an enemy here.
    state = build(player=PlayerSpec(5, 0), enemies=[EnemySpec("glitch", 5, 5, 2)],
                  resources=[ResourceSpec(5, 1, data_siphon=True), ResourceSpec(5, 2, credits=3),
                             ResourceSpec(5, 4, energy=1)])  # fmt: skip
    state = state._replace(board=state.board._replace(siphoned=state.board.siphoned.at[5, 3].set(True)))
    after, outcome = act(state, RIGHT)
    assert describe(after) == expect(state, enemies=[enemy("glitch", 5, 5, 1, stunned=True)])
    assert outcome == quiet_outcome(**ENDS_TURN)


def test_a_transmission_on_a_block_down_the_line_is_hit():
    # §4.1 step 1: the transmission check comes before the block check.
    state = build(player=PlayerSpec(0, 3), blocks=[BlockSpec(3, 3, "data", points=1, spawn_count=1)],
                  transmissions=[TransmissionSpec(3, 3, 2, "daemon")])  # fmt: skip
    after, outcome = act(state, UP)
    assert describe(after) == expect(state, transmissions=[])
    assert outcome == quiet_outcome(**ENDS_TURN, kills=1)


def test_an_enemy_on_the_adjacent_exit_is_attacked_and_the_exit_not_reached():
    # §4.1: a target found means an attack; the player does not move, so the stage is not completed.
    state = build(player=PlayerSpec(4, 5), enemies=[EnemySpec("daemon", 5, 5, 3)])
    after, outcome = act(state, UP)
    assert describe(after) == expect(state, enemies=[enemy("daemon", 5, 5, 2, stunned=True)])
    assert outcome == quiet_outcome(**ENDS_TURN)


def test_an_attack_leaves_an_already_stunned_survivor_stunned_and_overkill_removes():
    # §4.1 step 3: hp -= attack_damage (not below 0); survivors stunned, others removed with a kill.
    state = build(player=PlayerSpec(0, 0, attack_damage=5),
                  enemies=[EnemySpec("daemon", 0, 2, 3, stunned=True), EnemySpec("cryptog", 4, 0, 1)])  # fmt: skip
    after, outcome = act(state, RIGHT)
    assert describe(after)["enemies"] == [enemy("cryptog", 4, 0, 1)] and outcome["kills"] == 1
    weak = build(player=PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 0, 2, 3, stunned=True)])
    after, _ = act(weak, RIGHT)
    assert describe(after)["enemies"] == [enemy("daemon", 0, 2, 2, stunned=True)]


def test_walking_onto_a_pickup_leaves_the_energy_on_its_cell():
    # §4.1 step 4: the pickup is collected (the cell becomes empty); credits and energy lying there stay.
    state = build(player=PlayerSpec(1, 1), resources=[ResourceSpec(2, 1, data_siphon=True)])
    state = state._replace(board=state.board._replace(energy=state.board.energy.at[2, 1].set(2)))
    after, outcome = act(state, UP)
    assert describe(after) == expect(state, player={"row": 2, "data_siphons": 1}, pickups=[],
                                     resources=[dict(row=2, col=1, credits=0, energy=2, data_siphon=False)])
    assert outcome == quiet_outcome(**ENDS_TURN, pickup_collected=True)


def test_a_transmission_on_the_exit_is_shot_instead_of_reaching_it():
    state = build(player=PlayerSpec(5, 4), transmissions=[TransmissionSpec(5, 5, 1, "glitch")])
    after, outcome = act(state, RIGHT)
    assert describe(after) == expect(state, transmissions=[])
    assert outcome == quiet_outcome(**ENDS_TURN, kills=1)


def test_directions_match_a_direct_reading_of_the_rule_on_random_boards():
    """§3.1 validity and §4.1 target search straight from the wording, on crowded random boards."""
    rng = np.random.default_rng(11)
    offsets = {UP: (1, 0), DOWN: (-1, 0), LEFT: (0, -1), RIGHT: (0, 1)}
    checked = {"move": 0, "enemy": 0, "transmission": 0, "invalid": 0}
    for _ in range(30):
        player = tuple(int(x) for x in rng.integers(0, 6, 2))
        cells = [(r, c) for r in range(6) for c in range(6) if (r, c) != player and (r, c) != (5, 5)]
        picks = rng.permutation(len(cells))
        blocks = [cells[i] for i in picks[:6]]
        enemies = [cells[i] for i in rng.choice(len(cells), int(rng.integers(0, 6)))]  # may stack, also on blocks
        transmissions = [cells[i] for i in picks[6 : 6 + int(rng.integers(0, 4))]]
        state = build(player=PlayerSpec(*player, attack_damage=1),
                      enemies=[EnemySpec("daemon", r, c, 3) for r, c in enemies],
                      transmissions=[TransmissionSpec(r, c, 2, "virus") for r, c in transmissions],
                      blocks=[BlockSpec(r, c, "data", points=1) for r, c in blocks])  # fmt: skip
        mask = mask_of(state)
        for direction, (dr, dc) in offsets.items():
            t = (player[0] + dr, player[1] + dc)
            valid = 0 <= t[0] < 6 and 0 <= t[1] < 6 and (t not in blocks or t in enemies)
            assert mask[direction] == valid, (player, direction, blocks, enemies)
            if not valid:
                checked["invalid"] += 1
                continue
            target, cell = None, t
            while 0 <= cell[0] < 6 and 0 <= cell[1] < 6:
                if cell in transmissions:
                    target = ("transmission", transmissions.index(cell))
                    break
                if cell in enemies:
                    target = ("enemy", enemies.index(cell))  # first in list order
                    break
                if cell in blocks:
                    break
                cell = (cell[0] + dr, cell[1] + dc)
            after, _ = act(state, direction)
            view, before = describe(after), describe(state)
            if target is None:
                checked["move"] += 1
                assert (view["player"]["row"], view["player"]["col"]) == t
                assert view["enemies"] == before["enemies"] and view["transmissions"] == before["transmissions"]
            elif target[0] == "enemy":
                checked["enemy"] += 1
                hit = [dict(e) for e in before["enemies"]]
                hit[target[1]].update(hp=2, stunned=True)
                assert view["enemies"] == hit and view["player"] == before["player"]
            else:
                checked["transmission"] += 1
                kept = [x for i, x in enumerate(before["transmissions"]) if i != target[1]]
                assert view["transmissions"] == kept and view["enemies"] == before["enemies"]
    assert all(count > 0 for count in checked.values()), checked


def test_siphon_spawned_enemies_and_transmissions_still_count_as_kills():
    # §4.1 steps 2-3: only from_scheduled entities give no kill; from_siphon ones count like any other.
    state = build(player=PlayerSpec(2, 2), enemies=[EnemySpec("virus", 2, 5, 1, from_siphon=True)],
                  transmissions=[TransmissionSpec(0, 2, 1, "glitch")])  # fmt: skip
    t = state.transmissions
    state = state._replace(transmissions=t._replace(from_siphon=t.from_siphon.at[0].set(True)))
    right, outcome = act(state, RIGHT)
    assert describe(right)["enemies"] == [] and outcome == quiet_outcome(**ENDS_TURN, kills=1)
    down, outcome = act(state, DOWN)
    assert describe(down)["transmissions"] == [] and outcome == quiet_outcome(**ENDS_TURN, kills=1)
