"""The action mask (spec §3): directions, siphon, and for every program ownership, both costs and applicability."""

from __future__ import annotations

import jax.numpy as jnp
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.history import push_snapshot
from hackmatrix.game.scenario import BlockSpec, EnemySpec, PlayerSpec, ResourceSpec, TransmissionSpec
from test_game_actions_support import DOWN, LEFT, RIGHT, UP, build, mask_of, program_action


def test_example_19():
    state = build(player=PlayerSpec(2, 2), enemies=[EnemySpec("glitch", 3, 2, 2), EnemySpec("daemon", 2, 5, 3)],
                  blocks=[BlockSpec(3, 2, "data", points=2, spawn_count=2),
                          BlockSpec(2, 1, "data", points=1, spawn_count=1)])  # fmt: skip
    assert mask_of(state) == [True, True, False, True] + [False] * 24


def test_the_board_edge_invalidates_directions():
    assert mask_of(build(player=PlayerSpec(0, 0)))[:4] == [True, False, False, True]
    assert mask_of(build(player=PlayerSpec(5, 3)))[:4] == [False, True, True, True]


def test_only_the_adjacent_cell_matters():
    # A block next to the player is not passable even with an enemy right behind it in the line of fire...
    state = build(player=PlayerSpec(2, 2), blocks=[BlockSpec(2, 3, "program", program="WAIT", siphoned=True)],
                  enemies=[EnemySpec("daemon", 2, 5, 3)])  # fmt: skip
    assert not mask_of(state)[RIGHT]
    # ...and exits, pickups, resources, transmissions and enemies never invalidate the adjacent cell.
    state = build(player=PlayerSpec(4, 4), resources=[ResourceSpec(3, 4, data_siphon=True), ResourceSpec(4, 3,
                                                                                                         energy=2)],
                  transmissions=[TransmissionSpec(4, 5, 1, "virus")])  # fmt: skip
    assert mask_of(state)[:4] == [True, True, True, True]


def test_an_enemy_on_the_adjacent_block_makes_the_direction_valid():
    state = build(player=PlayerSpec(2, 2), blocks=[BlockSpec(1, 2, "data", points=1)],
                  enemies=[EnemySpec("cryptog", 1, 2, 2)])  # fmt: skip
    assert mask_of(state)[DOWN]


def test_siphon_needs_only_a_data_siphon():
    assert mask_of(build(player=PlayerSpec(0, 0, data_siphons=1)))[C.ACTION_SIPHON]
    assert not mask_of(build(player=PlayerSpec(0, 0), blocks=[BlockSpec(0, 1, "data", points=3)]))[C.ACTION_SIPHON]


def with_history(state):
    return push_snapshot(state)


def with_siphoned_cell(state):
    return state._replace(board=state.board._replace(siphoned=state.board.siphoned.at[4, 0].set(True)))


def with_atk_plus_uses(uses):
    return lambda state: state._replace(atk_plus_uses=jnp.asarray(uses, jnp.int32))


def with_step_pending(state):
    return state._replace(step_pending=jnp.asarray(True))


FAR_HIDDEN_CRYPTOG = EnemySpec("cryptog", 5, 5, 1, stunned=True)  # not in the player's row or column

# program: (applicable scenarios, not applicable scenarios); each a dict of Scenario fields plus an optional
# "then" function applied to the built state. The player always stands on (2, 2).
CASES = {
    "PUSH": ([dict(enemies=[FAR_HIDDEN_CRYPTOG])], [dict(transmissions=[TransmissionSpec(3, 3, 1, "virus")])]),
    "PULL": ([dict(enemies=[FAR_HIDDEN_CRYPTOG])], [dict()]),
    "CRASH": (
        [dict(blocks=[BlockSpec(3, 3, "data", points=1, siphoned=True)]), dict(enemies=[EnemySpec("virus", 1, 1, 2)]),
         dict(transmissions=[TransmissionSpec(1, 3, 1, "daemon")]), dict(enemies=[EnemySpec("virus", 2, 3, 2)])],
        [dict(blocks=[BlockSpec(4, 2, "data", points=1)], enemies=[EnemySpec("virus", 0, 0, 2)],
              transmissions=[TransmissionSpec(2, 4, 1, "daemon")])],
    ),  # fmt: skip
    "WARP": ([dict(transmissions=[TransmissionSpec(5, 0, 3, "glitch")]), dict(enemies=[FAR_HIDDEN_CRYPTOG])],
             [dict(blocks=[BlockSpec(3, 3, "data", points=1)])]),
    "POLY": ([dict(enemies=[FAR_HIDDEN_CRYPTOG])], [dict(transmissions=[TransmissionSpec(3, 3, 1, "virus")])]),
    "WAIT": ([dict()], []),
    "DEBUG": ([dict(enemies=[EnemySpec("virus", 0, 4, 2)], blocks=[BlockSpec(0, 4, "data", siphoned=True)])],
              [dict(enemies=[EnemySpec("virus", 0, 4, 2)], blocks=[BlockSpec(0, 3, "data")])]),
    "ROW": ([dict(enemies=[EnemySpec("glitch", 2, 5, 2)], blocks=[BlockSpec(2, 3, "data")])],
            [dict(enemies=[EnemySpec("glitch", 4, 2, 2), EnemySpec("virus", 3, 3, 2)])]),
    "COL": ([dict(enemies=[EnemySpec("glitch", 5, 2, 2)], blocks=[BlockSpec(3, 2, "data")])],
            [dict(enemies=[EnemySpec("glitch", 2, 4, 2), EnemySpec("virus", 3, 3, 2)])]),
    "UNDO": ([dict(then=with_history)], [dict()]),
    "STEP": ([dict(), dict(then=with_step_pending)], []),
    "SIPH+": ([dict()], []),
    "EXCH": ([dict()], []),
    "SHOW": ([dict()], [dict(show=True)]),
    "RESET": ([dict(hp=2), dict(hp=0)], [dict(hp=3)]),
    "CALM": ([dict()], [dict(calm=True)]),
    "D_BOM": ([dict(enemies=[EnemySpec("daemon", 5, 5, 1, stunned=True)])],
              [dict(enemies=[EnemySpec("virus", 1, 1, 2)], transmissions=[TransmissionSpec(3, 3, 1, "daemon")])]),
    "DELAY": ([dict(transmissions=[TransmissionSpec(0, 5, 2, "virus")])], [dict(enemies=[EnemySpec("virus", 1, 1,
                                                                                                   2)])]),
    "ANTI-V": ([dict(enemies=[EnemySpec("virus", 5, 5, 2)])], [dict(enemies=[EnemySpec("daemon", 1, 1, 3)])]),
    "SCORE": ([dict(stage=7)], [dict(stage=8)]),
    "REDUC": ([dict(blocks=[BlockSpec(0, 4, "program", program="HACK", spawn_count=1)])],
              [dict(blocks=[BlockSpec(0, 4, "data", points=2, spawn_count=2, siphoned=True),
                            BlockSpec(3, 4, "data", points=2)])]),
    "ATK+": ([dict(then=with_atk_plus_uses(1))], [dict(then=with_atk_plus_uses(2))]),
    "HACK": ([dict(then=with_siphoned_cell), dict(blocks=[BlockSpec(0, 0, "data", siphoned=True)])],
             [dict(blocks=[BlockSpec(0, 0, "data")])]),
}  # fmt: skip


def program_state(name: str, case: dict, *, owned=True, credits=0, energy=0):
    """The player on (2, 2) with just enough credits and energy for ``name`` (plus the offsets), in ``case``."""
    case = dict(case)
    then = case.pop("then", lambda state: state)
    hp = case.pop("hp", 3)
    index = C.PROGRAM_INDEX[name]
    player = PlayerSpec(2, 2, hp=hp, credits=int(C.PROGRAM_CREDITS[index]) + credits,
                        energy=int(C.PROGRAM_ENERGY[index]) + energy)  # fmt: skip
    return then(build(player=player, owned_programs=[name] if owned else [], **case))


def test_every_program_has_cases():
    assert set(CASES) == set(C.PROGRAM_NAMES)


@pytest.mark.parametrize("name", C.PROGRAM_NAMES)
def test_program_validity(name):
    applicable, not_applicable = CASES[name]
    action = program_action(name)
    for case in applicable:
        assert mask_of(program_state(name, case))[action], (name, case)
        assert not mask_of(program_state(name, case, owned=False))[action]
        if C.PROGRAM_CREDITS[C.PROGRAM_INDEX[name]] > 0:
            assert not mask_of(program_state(name, case, credits=-1))[action]
        if C.PROGRAM_ENERGY[C.PROGRAM_INDEX[name]] > 0:
            assert not mask_of(program_state(name, case, energy=-1))[action]
    for case in not_applicable:
        assert not mask_of(program_state(name, case, credits=9, energy=9))[action], (name, case)


def test_directions_and_siphon_ignore_programs_and_programs_ignore_each_other():
    # Owning everything with plenty of resources on an empty board: exactly the always-applicable programs.
    state = build(player=PlayerSpec(2, 2, hp=2, credits=20, energy=20), owned_programs=list(C.PROGRAM_NAMES))
    always = {"WAIT", "STEP", "SIPH+", "EXCH", "SHOW", "RESET", "CALM", "SCORE", "ATK+"}
    assert mask_of(state) == [True] * 4 + [False] + [name in always for name in C.PROGRAM_NAMES]


@pytest.mark.parametrize("direction", [UP, DOWN, LEFT, RIGHT])
def test_a_walled_in_player_has_no_valid_direction(direction):
    state = build(player=PlayerSpec(2, 2), blocks=[BlockSpec(3, 2, "data"), BlockSpec(1, 2, "data"),
                                                   BlockSpec(2, 1, "data"), BlockSpec(2, 3, "data")])
    assert not mask_of(state)[direction]
