"""The observation (spec §8), feature by feature and channel by channel."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.mask import action_mask
from hackmatrix.game.scenario import (
    BlockSpec,
    EnemySpec,
    PlayerSpec,
    ResourceSpec,
    Scenario,
    TransmissionSpec,
    build_state,
)
from test_game_support import OBSERVE, step

ENEMY_CHANNELS = slice(0, 7)
MASK = jax.jit(action_mask)


def grid_of(scenario: Scenario, **fields) -> np.ndarray:
    return np.asarray(OBSERVE(build_state(scenario)._replace(**fields)).grid)


def channels(grid: np.ndarray, row: int, col: int) -> dict[int, float]:
    """The non-zero channels of one cell."""
    return {int(i): pytest.approx(float(grid[row, col, i])) for i in np.flatnonzero(grid[row, col])}


def test_player_features_and_their_normalisers():
    scenario = Scenario(PlayerSpec(4, 1, hp=2, credits=30, energy=51, data_siphons=15, attack_damage=6), stage=6,
                        show=True)  # fmt: skip
    obs = OBSERVE(build_state(scenario))
    expected = [4 / 5, 1 / 5, 2 / 3, 30 / 50, 1.0, 5 / 7, 1.5, 2.5, 1.0, 0.0]  # siphons and attack not clipped
    np.testing.assert_allclose(obs.player, expected, rtol=1e-6)
    calm = OBSERVE(build_state(Scenario(PlayerSpec(0, 0), calm=True)))
    np.testing.assert_allclose(calm.player, [0, 0, 1, 0, 0, 0, 0, 0, 0, 1], atol=1e-7)


def test_program_flags_and_the_flat_vector():
    scenario = Scenario(PlayerSpec(2, 3, credits=4), owned_programs=["PUSH", "EXCH", 27],
                        enemies=[EnemySpec("daemon", 0, 0, 2)], blocks=[BlockSpec(1, 1, "data", points=3)])  # fmt: skip
    obs = OBSERVE(build_state(scenario))
    assert obs.programs.dtype == jnp.int32
    assert np.flatnonzero(obs.programs).tolist() == [C.PUSH, C.EXCH, C.HACK]
    assert obs.flat.shape == (C.OBS_SIZE,) and obs.flat.dtype == jnp.float32
    np.testing.assert_array_equal(obs.flat, np.concatenate([obs.player, obs.programs, np.ravel(obs.grid)]))
    assert obs.flat[10 + 23 + (1 * 6 + 1) * 42 + 7] == 1.0  # grid flattened row, then column, then channel


def test_action_mask_is_the_rules_mask():
    scenario = Scenario(PlayerSpec(0, 0, energy=2, data_siphons=1), owned_programs=["PUSH", "WAIT"],
                        blocks=[BlockSpec(1, 0, "data")])  # fmt: skip
    state = build_state(scenario)
    obs = OBSERVE(state)
    np.testing.assert_array_equal(obs.action_mask, MASK(state))
    assert np.flatnonzero(obs.action_mask).tolist() == [C.ACTION_RIGHT, C.ACTION_SIPHON, 5 + C.WAIT]


@pytest.mark.parametrize("kind", C.ENEMY_NAMES)
def test_enemy_channels_per_kind(kind):
    # In the player's row, so a cryptog is visible too.
    scenario = Scenario(PlayerSpec(2, 0), enemies=[EnemySpec(kind, 2, 4, 1, stunned=True, from_siphon=True),
                                                   EnemySpec(kind, 2, 2, 2)])  # fmt: skip
    grid = grid_of(scenario)
    kind_channel = C.ENEMY_INDEX[kind]
    assert channels(grid, 2, 4) == {kind_channel: 1.0, 4: 1 / 3, 5: 1.0, 6: 1.0}
    assert channels(grid, 2, 2) == {kind_channel: 1.0, 4: 2 / 3}


def test_first_enemy_in_list_order_describes_a_shared_cell():
    scenario = Scenario(PlayerSpec(0, 0), enemies=[
        EnemySpec("virus", 3, 3, 1), EnemySpec("daemon", 3, 3, 3), EnemySpec("glitch", 4, 4, 2),
        EnemySpec("daemon", 4, 4, 1),
    ])  # fmt: skip
    state = build_state(scenario)
    assert channels(np.asarray(OBSERVE(state).grid), 3, 3) == {0: 1.0, 4: 1 / 3}
    # List order is the creation order, not the slot: make slot 3 older than slot 2.
    e = state.enemies
    reordered = state._replace(enemies=e._replace(order=e.order.at[3].set(-1)))
    assert channels(np.asarray(OBSERVE(reordered).grid), 4, 4) == {1: 1.0, 4: 1 / 3}


@pytest.mark.parametrize(
    "cryptog_cell, show, visible",
    [((3, 4), False, False), ((1, 4), False, True), ((3, 1), False, True), ((3, 4), True, True)],
)
def test_cryptogs_are_hidden_outside_the_players_row_and_column_unless_show(cryptog_cell, show, visible):
    scenario = Scenario(PlayerSpec(1, 1), enemies=[EnemySpec("cryptog", *cryptog_cell, 2),
                                                   EnemySpec("daemon", *cryptog_cell, 3)], show=show)  # fmt: skip
    expected = {3: 1.0, 4: 2 / 3} if visible else {}  # a hidden cryptog hides the daemon behind it too
    assert channels(grid_of(scenario), *cryptog_cell) == expected


def test_data_and_program_blocks_before_and_after_siphoning():
    scenario = Scenario(
        PlayerSpec(0, 0),
        blocks=[BlockSpec(1, 2, "data", points=7, spawn_count=5), BlockSpec(2, 2, "data", points=4, siphoned=True),
                BlockSpec(3, 2, "program", program="WARP", spawn_count=5),
                BlockSpec(4, 2, "program", program="HACK", siphoned=True)],
    )  # fmt: skip
    grid = grid_of(scenario)
    assert channels(grid, 1, 2) == {7: 1.0, 10: 7 / 9, 35: 5 / 9}
    assert channels(grid, 2, 2) == {7: 1.0, 10: 4 / 9, 11: 1.0}
    assert channels(grid, 3, 2) == {8: 1.0, 12 + C.WARP: 1.0, 35: 5 / 9}
    assert channels(grid, 4, 2) == {8: 1.0, 11: 1.0, 12 + C.HACK: 1.0}


def test_a_siphoned_block_shows_no_spawn_count_even_if_one_is_left():
    # Only a hand-built block can be siphoned with a spawn count left; §8.3 channel 35 is "0 once siphoned".
    scenario = Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(2, 2, "data", points=4, spawn_count=3, siphoned=True),
                                                  BlockSpec(3, 2, "program", program="HACK", spawn_count=2,
                                                            siphoned=True)])  # fmt: skip
    grid = grid_of(scenario)
    assert channels(grid, 2, 2) == {7: 1.0, 10: 4 / 9, 11: 1.0}
    assert channels(grid, 3, 2) == {8: 1.0, 11: 1.0, 12 + C.HACK: 1.0}


@pytest.mark.parametrize("kind", ["data", "program"])
def test_question_blocks_hide_their_contents(kind):
    program = "SCORE" if kind == "program" else None
    scenario = Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(2, 3, kind, points=6 * (kind == "data"), spawn_count=5,
                                                            program=program)],
                        resources=[ResourceSpec(2, 3, credits=2)])  # fmt: skip
    state = build_state(scenario)
    question = state._replace(board=state.board._replace(question=state.board.question.at[2, 3].set(True)))
    assert channels(np.asarray(OBSERVE(question).grid), 2, 3) == {9: 1.0}


def test_resources_are_visible_off_blocks_and_under_siphoned_blocks_only():
    scenario = Scenario(
        PlayerSpec(0, 0),
        blocks=[BlockSpec(1, 1, "data", points=1), BlockSpec(2, 2, "data", points=1, siphoned=True)],
        resources=[ResourceSpec(1, 1, credits=3), ResourceSpec(2, 2, energy=2), ResourceSpec(3, 3, credits=1),
                   ResourceSpec(4, 4, energy=3), ResourceSpec(0, 0, credits=2)],
    )  # fmt: skip
    grid = grid_of(scenario)
    assert channels(grid, 1, 1) == {7: 1.0, 10: 1 / 9}
    assert channels(grid, 2, 2) == {7: 1.0, 10: 1 / 9, 11: 1.0, 38: 2 / 3}
    assert channels(grid, 3, 3) == {37: 1 / 3}
    assert channels(grid, 4, 4) == {38: 1.0}
    assert channels(grid, 0, 0) == {37: 2 / 3}  # the player's own cell is not marked


def test_transmission_countdown_pickup_exit_and_siphon_centre():
    scenario = Scenario(
        PlayerSpec(0, 0),
        transmissions=[TransmissionSpec(1, 3, 1, "virus"), TransmissionSpec(2, 3, 2, "daemon"),
                       TransmissionSpec(3, 3, 4, "glitch"), TransmissionSpec(4, 3, 9, "cryptog")],
        resources=[ResourceSpec(0, 5, data_siphon=True), ResourceSpec(5, 0, data_siphon=True, credits=3)],
    )  # fmt: skip
    state = build_state(scenario)
    state = state._replace(board=state.board._replace(siphon_center=state.board.siphon_center.at[2, 4].set(True)))
    grid = np.asarray(OBSERVE(state).grid)
    assert [channels(grid, r, 3) for r in (1, 2, 3, 4)] == [{36: 0.25}, {36: 0.5}, {36: 1.0}, {36: 1.0}]
    assert channels(grid, 0, 5) == {39: 1.0} and channels(grid, 5, 0) == {39: 1.0}
    assert channels(grid, 5, 5) == {40: 1.0}
    assert channels(grid, 2, 4) == {41: 1.0}


# --- Further rule checks (§8.3) -----------------------------------------------------------------------------------


def test_after_a_siphon_only_blocks_show_the_siphoned_flag_and_resources_under_them_appear():
    """§8.3 channel 11: "1 if the cell holds a block and its siphoned flag is set, else 0"; channel 41 marks the
    centre; channels 37/38 become visible under a siphoned block (§4.2: resources under a block are not taken)."""
    scenario = Scenario(PlayerSpec(2, 2, data_siphons=1), blocks=[BlockSpec(3, 2, "data", points=5)],
                        resources=[ResourceSpec(3, 2, credits=2)])  # fmt: skip
    before = np.asarray(OBSERVE(build_state(scenario)).grid)
    assert channels(before, 3, 2) == {7: 1.0, 10: 5 / 9}
    _, obs, _, _, _ = step(build_state(scenario), C.ACTION_SIPHON)
    grid = np.asarray(obs.grid)
    assert channels(grid, 3, 2) == {7: 1.0, 10: 5 / 9, 11: 1.0, 37: 2 / 3}
    assert channels(grid, 2, 2) == {41: 1.0}
    assert [channels(grid, r, c) for r, c in [(1, 2), (2, 1), (2, 3)]] == [{}, {}, {}]
    assert float(obs.player[6]) == 0.0


def test_a_siphoned_question_block_shows_its_resolved_content():
    # §2.2: a siphoned question block "turns into the corresponding ordinary data or program block (spawn count 0)";
    # §8.3 channel 9 is for unresolved question blocks only.
    state = build_state(Scenario(PlayerSpec(2, 2, data_siphons=1),
                                 blocks=[BlockSpec(2, 3, "data", points=6, spawn_count=6)]))  # fmt: skip
    state = state._replace(board=state.board._replace(question=state.board.question.at[2, 3].set(True)))
    assert channels(np.asarray(OBSERVE(state).grid), 2, 3) == {9: 1.0}
    _, obs, _, _, _ = step(state, C.ACTION_SIPHON)
    assert channels(np.asarray(obs.grid), 2, 3) == {7: 1.0, 10: 6 / 9, 11: 1.0}


def test_transmission_type_is_never_encoded_even_with_show():
    # §8.3 channel 36: "its enemy type is never encoded, even with show on".
    scenario = Scenario(PlayerSpec(2, 0), transmissions=[TransmissionSpec(2, 3, 3, "cryptog")], show=True)
    assert channels(grid_of(scenario), 2, 3) == {36: 0.75}


def test_the_exit_cell_shows_a_resource_lying_on_it():
    # §10.5: "a resource put there stays"; §8.3: resources are visible on cells without a block.
    scenario = Scenario(PlayerSpec(0, 0), resources=[ResourceSpec(5, 5, energy=3)],
                        enemies=[EnemySpec("daemon", 0, 3, 3)])  # fmt: skip
    grid = grid_of(scenario)
    assert channels(grid, 5, 5) == {38: 1.0, 40: 1.0}
    assert channels(grid, 0, 3) == {1: 1.0, 4: 1.0}  # a full-hp daemon: hp / 3 = 1
