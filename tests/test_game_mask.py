"""The action mask (spec §3): directions, siphon, and for every program ownership, both costs and applicability."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
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


def with_disabled_enemies(state):
    return state._replace(enemies=state.enemies._replace(disabled=jnp.ones_like(state.enemies.disabled)))


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


def test_costs_follow_the_rule_table():
    # §3.3 table: (credits, energy, spawn cost as a block) per program index, copied from the rule book.
    table = {
        "PUSH": (0, 2, 4), "PULL": (0, 2, 4), "CRASH": (3, 2, 6), "WARP": (2, 2, 5), "POLY": (1, 1, 3),
        "WAIT": (0, 1, 1), "DEBUG": (3, 0, 4), "ROW": (3, 1, 2), "COL": (3, 1, 2), "UNDO": (1, 0, 3),
        "STEP": (0, 3, 4), "SIPH+": (5, 0, 7), "EXCH": (4, 0, 3), "SHOW": (2, 0, 2), "RESET": (0, 4, 2),
        "CALM": (2, 4, 6), "D_BOM": (3, 0, 4), "DELAY": (1, 2, 4), "ANTI-V": (3, 0, 4), "SCORE": (0, 5, 5),
        "REDUC": (2, 1, 3), "ATK+": (4, 4, 8), "HACK": (2, 2, 4),
    }  # fmt: skip
    assert list(table) == list(C.PROGRAM_NAMES)  # program index = action - 5
    assert [program_action(name) for name in table] == list(range(5, 28))
    assert [(int(C.PROGRAM_CREDITS[i]), int(C.PROGRAM_ENERGY[i]), int(C.PROGRAM_SPAWN_COST[i]))
            for i in range(C.NUM_PROGRAMS)] == list(table.values())  # fmt: skip


def test_the_exit_and_an_enemy_on_an_empty_adjacent_cell_never_invalidate_a_direction():
    # §3.1: "Cell T being the exit ... or holding an enemy or transmission never makes the action invalid."
    state = build(player=PlayerSpec(4, 5), enemies=[EnemySpec("daemon", 3, 5, 3)],
                  transmissions=[TransmissionSpec(4, 4, 2, "virus")])  # fmt: skip
    assert mask_of(state)[:4] == [True, True, True, False]  # up = exit (5, 5), right = off the board


def test_a_transmission_on_an_adjacent_block_does_not_make_the_direction_valid():
    # §3.1: valid iff T holds no block, or at least one *enemy* stands on T (a transmission is no enemy).
    state = build(player=PlayerSpec(2, 2), blocks=[BlockSpec(2, 3, "data", points=1)],
                  transmissions=[TransmissionSpec(2, 3, 1, "virus")])  # fmt: skip
    assert not mask_of(state)[RIGHT]


def test_entities_on_the_players_own_cell_do_not_make_crash_applicable():
    # §3.3 CRASH: a *surrounding* cell (§0: excluding the cell itself) must hold a block, an enemy or a transmission.
    case = dict(enemies=[EnemySpec("virus", 2, 2, 2)], transmissions=[TransmissionSpec(2, 2, 1, "daemon")])
    assert not mask_of(program_state("CRASH", case, credits=9, energy=9))[program_action("CRASH")]
    # ...while ROW and COL count an enemy on the player's own cell (its row and column are the player's).
    for name in ("ROW", "COL"):
        assert mask_of(program_state(name, case))[program_action(name)], name


@pytest.mark.parametrize("name", ["PUSH", "PULL", "WARP", "POLY", "DEBUG", "ROW", "COL", "CRASH", "D_BOM",
                                  "ANTI-V", "HACK"])  # fmt: skip
def test_disabled_enemies_count_for_applicability(name):
    # §3.3: "Enemy exists" conditions count every enemy, including hidden cryptogs, stunned and disabled enemies.
    enemies = [EnemySpec("daemon", 2, 3, 3), EnemySpec("virus", 5, 2, 2), EnemySpec("cryptog", 4, 4, 1)]
    state = program_state(name, dict(enemies=enemies, blocks=[BlockSpec(4, 4, "data", points=1, siphoned=True)],
                                     then=with_disabled_enemies))  # fmt: skip
    assert int(state.enemies.disabled[0]) == 1
    assert mask_of(state)[program_action(name)]


def test_reduc_counts_an_unsiphoned_question_block():
    # §3.3 REDUC: some unsiphoned block (any kind, question blocks included, §4.3) has spawn count > 0.
    def as_question(state):
        return state._replace(board=state.board._replace(question=state.board.question.at[0, 4].set(True)))

    state = program_state("REDUC", dict(blocks=[BlockSpec(0, 4, "data", points=3, spawn_count=3)], then=as_question))
    assert bool(state.board.question[0, 4]) and mask_of(state)[program_action("REDUC")]
    spent = program_state("REDUC", dict(blocks=[BlockSpec(0, 4, "data", points=3, spawn_count=0)], then=as_question))
    assert not mask_of(spent)[program_action("REDUC")]


def test_program_applicability_matches_a_direct_reading_of_the_table_on_random_states():
    """§3.3: ownership, both costs and each "applicable when" condition, straight from the table."""
    rng = np.random.default_rng(3)
    kinds = ["virus", "daemon", "glitch", "cryptog"]
    seen = np.zeros(28, int)
    for _ in range(30):
        player = tuple(int(x) for x in rng.integers(0, 6, 2))
        cells = [(r, c) for r in range(6) for c in range(6) if (r, c) != (5, 5)]
        picks = rng.permutation(len(cells))
        blocks = [(cells[i], bool(rng.random() < 0.3), int(rng.integers(0, 3))) for i in picks[: rng.integers(0, 5)]]
        transmissions = [cells[i] for i in picks[10 : 10 + rng.integers(0, 3)]]
        enemies = [(kinds[int(rng.integers(4))], cells[i]) for i in rng.choice(len(cells), int(rng.integers(0, 4)))]
        siphoned_empty = bool(rng.random() < 0.2)
        hp, credits, energy = int(rng.integers(1, 4)), int(rng.integers(0, 7)), int(rng.integers(0, 7))
        stage, show, calm, uses = int(rng.integers(6, 9)), bool(rng.random() < 0.5), bool(rng.random() < 0.5), 0
        owned = [name for name in C.PROGRAM_NAMES if rng.random() < 0.8]
        state = build(player=PlayerSpec(*player, hp=hp, credits=credits, energy=energy), owned_programs=owned,
                      enemies=[EnemySpec(k, r, c, 1) for k, (r, c) in enemies],
                      transmissions=[TransmissionSpec(r, c, 1, "virus") for r, c in transmissions],
                      blocks=[BlockSpec(r, c, "data", spawn_count=s, siphoned=f) for (r, c), f, s in blocks],
                      stage=stage, show=show, calm=calm)  # fmt: skip
        if siphoned_empty:
            state = with_siphoned_cell(state)
        if rng.random() < 0.5:
            uses = int(rng.integers(0, 3))
            state = with_atk_plus_uses(uses)(state)
        history = rng.random() < 0.5
        if history:
            state = with_history(state)
        block_cells = {cell for cell, _, _ in blocks}
        siphoned = {cell for cell, f, _ in blocks if f} | ({(4, 0)} if siphoned_empty else set())
        enemy_cells = [cell for _, cell in enemies]
        around = {(player[0] + dr, player[1] + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)} - {player}
        applicable = {
            "PUSH": bool(enemies), "PULL": bool(enemies),
            "CRASH": bool(around & (block_cells | set(enemy_cells) | set(transmissions))),
            "WARP": bool(enemies or transmissions), "POLY": bool(enemies), "WAIT": True,
            "DEBUG": any(cell in block_cells for cell in enemy_cells),
            "ROW": any(r == player[0] for r, _ in enemy_cells), "COL": any(c == player[1] for _, c in enemy_cells),
            "UNDO": history, "STEP": True, "SIPH+": True, "EXCH": credits >= 4, "SHOW": not show, "RESET": hp < 3,
            "CALM": not calm, "D_BOM": any(k == "daemon" for k, _ in enemies), "DELAY": bool(transmissions),
            "ANTI-V": any(k == "virus" for k, _ in enemies), "SCORE": stage < 8,
            "REDUC": any(s > 0 and not f for _, f, s in blocks), "ATK+": uses < 2, "HACK": bool(siphoned),
        }  # fmt: skip
        costs = dict(zip(C.PROGRAM_NAMES, zip(C.PROGRAM_CREDITS.tolist(), C.PROGRAM_ENERGY.tolist(), strict=True)))
        expected = [name in owned and credits >= costs[name][0] and energy >= costs[name][1] and applicable[name]
                    for name in C.PROGRAM_NAMES]  # fmt: skip
        mask = mask_of(state)
        assert mask[5:] == expected, [n for n, a, b in zip(C.PROGRAM_NAMES, mask[5:], expected, strict=True) if a != b]
        seen += np.asarray(mask)
    assert (seen[5:] > 0).all(), seen
