"""``HackMatrix`` as an environment: the protocol, reset, the info dict, done, and compiling once."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.env.protocol import Environment
from hackmatrix.game import HackMatrix, Observation, RewardConfig, render
from hackmatrix.game import constants as C
from hackmatrix.game.scenario import BlockSpec, EnemySpec, PlayerSpec, Scenario, build_state
from test_game_support import ENV, OBSERVE, RESET, STEP, assert_components, step

P = {name: C.FIRST_PROGRAM_ACTION + i for i, name in enumerate(C.PROGRAM_NAMES)}


def test_the_environment_protocol():
    assert isinstance(ENV, Environment)
    assert (ENV.num_actions, ENV.observation_size) == (C.NUM_ACTIONS, C.OBS_SIZE) == (28, 1545)
    assert HackMatrix.info_max_keys == ("stats/highest_stage",)
    assert ENV.reward_config == RewardConfig()
    assert callable(render)


@pytest.mark.parametrize("seed", range(3))
def test_reset_returns_a_fresh_game_and_its_observation(seed):
    state, obs = RESET(jax.random.key(seed))
    assert isinstance(obs, Observation) and obs.flat.shape == (C.OBS_SIZE,)
    jax.tree.map(np.testing.assert_array_equal, obs, OBSERVE(state))
    np.testing.assert_array_equal(ENV.action_mask(state), obs.action_mask)
    assert obs.action_mask.any()
    assert (int(state.stage), int(state.turn), int(state.player.hp)) == (1, 0, 3)
    assert not np.asarray(state.reward_totals).any() and int(state.history.count) == 0


def test_step_and_reset_compile_once_for_generated_and_hand_built_states():
    """STEP and RESET fail on a second trace (see test_game_support); feed them states of every origin."""
    generated, obs = RESET(jax.random.key(7))
    hand_built = build_state(Scenario(PlayerSpec(1, 1, energy=2), enemies=[EnemySpec("virus", 3, 3, 2)],
                                      owned_programs=["PUSH"]))  # fmt: skip
    action = int(np.flatnonzero(obs.action_mask)[0])
    for state, act in [(generated, action), (hand_built, P["PUSH"]), (hand_built, C.ACTION_UP)]:
        stepped, *_ = step(state, act)
        step(stepped, C.ACTION_DOWN)
    RESET(jax.random.key(8))


@pytest.mark.parametrize(
    "action, fractions",
    [(C.ACTION_DOWN, (1, 0, 0)), (C.ACTION_SIPHON, (0, 1, 0)), (P["WAIT"], (0, 0, 1))],
    ids=["move", "siphon", "program"],
)
def test_info_reports_components_action_kind_stage_and_validity(action, fractions):
    state = build_state(Scenario(PlayerSpec(2, 2, energy=1, data_siphons=1), owned_programs=["WAIT"], stage=3))
    _, _, reward, _, info = STEP(state, jnp.int32(action), jax.random.key(0))
    info = jax.device_get(info)
    assert set(info) == {"reward", "actions", "stats", "invalid_action"}
    assert set(info["reward"]) == set(C.REWARD_COMPONENTS)
    assert sum(info["reward"].values()) == pytest.approx(float(reward), abs=1e-6)
    assert (info["actions"]["move_frac"], info["actions"]["siphon_frac"], info["actions"]["program_frac"]) == fractions
    assert (info["stats"]["highest_stage"], info["invalid_action"]) == (3.0, 0.0)
    _, _, _, done, info = STEP(state, jnp.int32(P["PUSH"]), jax.random.key(0))  # not owned
    assert bool(done) and float(info["invalid_action"]) == 1.0


@pytest.mark.parametrize("action", [-1, C.NUM_ACTIONS, 40])
def test_an_index_outside_the_28_actions_is_an_invalid_action(action):
    state = build_state(Scenario(PlayerSpec(2, 2, credits=5, energy=5), owned_programs=["HACK"],
                                 enemies=[EnemySpec("daemon", 3, 3, 3)],
                                 blocks=[BlockSpec(1, 1, "data", points=1, siphoned=True)]))  # fmt: skip
    assert bool(ENV.action_mask(state)[-1])  # clamped, or wrapped to 27, the index would run a valid action
    after, _, reward, done, info = STEP(state, jnp.int32(action), jax.random.key(0))
    assert bool(done) and float(reward) == 0.0 and float(info["invalid_action"]) == 1.0
    for before_leaf, after_leaf in zip(jax.tree.leaves(state), jax.tree.leaves(after), strict=True):
        np.testing.assert_array_equal(np.asarray(before_leaf), np.asarray(after_leaf))


def test_done_on_death_and_victory_but_not_on_a_stage_completion():
    dying = build_state(Scenario(PlayerSpec(2, 2, hp=1, energy=1), owned_programs=["WAIT"],
                                 enemies=[EnemySpec("daemon", 2, 3, 3)]))  # fmt: skip
    assert step(dying, P["WAIT"])[3]
    assert not step(build_state(Scenario(PlayerSpec(4, 5), stage=7)), C.ACTION_UP)[3]
    assert step(build_state(Scenario(PlayerSpec(4, 5), stage=8)), C.ACTION_UP)[3]


def test_a_step_into_a_live_state_without_valid_actions_is_not_done_yet():
    # §9: done is true only after death, victory or an invalid action ("Otherwise done = false"). A hand-built state
    # can have an all-false mask; "a step from such a state is an invalid action ... and ends the episode".
    walled_in = build_state(Scenario(PlayerSpec(0, 0, energy=1), owned_programs=["WAIT"],
                                     blocks=[BlockSpec(1, 0, "data", points=1), BlockSpec(0, 1, "data", points=1)]))  # fmt: skip
    state, obs, _, done, components = step(walled_in, P["WAIT"])
    assert not bool(obs.action_mask.any()) and int(state.player.hp) == 3
    assert_components(components, step_penalty=-0.01, resource_gain=-0.05)
    assert not done
    after, _, reward, done, components = step(state, C.ACTION_UP)
    assert done and reward == 0.0
    assert_components(components)
    jax.tree.map(np.testing.assert_array_equal, after, state)
