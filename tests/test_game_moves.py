"""Direction actions (spec §4.1): the line-of-fire target search, attacks, and moves with pickup collection."""

from __future__ import annotations

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
    assert describe(onto_pickup) == expect(state, player={"col": 0, "data_siphons": 2}, pickups=[])
    assert outcome == quiet_outcome(**ENDS_TURN, pickup_collected=True)
    onto_credits, outcome = act(state, UP)
    assert describe(onto_credits) == expect(state, player={"row": 1})
    assert outcome == quiet_outcome(**ENDS_TURN)


def test_moving_onto_the_exit_reaches_it_without_ending_the_turn():
    state = build(player=PlayerSpec(4, 5))
    after, outcome = act(state, UP)
    assert describe(after) == expect(state, player={"row": 5})
    assert outcome == quiet_outcome(reached_exit=True)
