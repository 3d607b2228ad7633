"""The 15 reward components of spec §7, one by one, through ``HackMatrix.step`` (plus RewardConfig)."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.outcome import ActionOutcome
from hackmatrix.game.reward import RewardConfig, step_reward
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
from test_game_support import OBSERVE, assert_components, step

STAGE_COMPLETION = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0)
P = {name: C.FIRST_PROGRAM_ACTION + i for i, name in enumerate(C.PROGRAM_NAMES)}  # action of each program


def test_step_penalty_alone_when_moving_away_from_the_exit():
    _, _, reward, done, components = step(build_state(Scenario(PlayerSpec(2, 2))), C.ACTION_DOWN)
    assert_components(components, step_penalty=-0.01)
    assert reward == pytest.approx(-0.01) and not done


@pytest.mark.parametrize("stage", range(1, 9))
def test_stage_completion_pays_the_table_and_victory_the_score(stage):
    state = build_state(Scenario(PlayerSpec(4, 5, score=3), stage=stage))
    after, _, reward, done, components = step(state, C.ACTION_UP)
    victory = 500.0 + 100.0 * 3 if stage == C.NUM_STAGES else 0.0
    assert_components(components, step_penalty=-0.01, stage_completion=STAGE_COMPLETION[stage - 1],
                      distance_shaping=0.05, victory=victory)  # fmt: skip
    assert done == (stage == C.NUM_STAGES) and int(after.stage) == stage + 1
    assert reward == pytest.approx(sum(components.values()))


def test_score_gain_from_the_score_program():
    state = build_state(Scenario(PlayerSpec(2, 2, energy=5, score=4), owned_programs=["SCORE"], stage=3))
    after, _, _, _, components = step(state, P["SCORE"])
    assert_components(components, step_penalty=-0.01, score_gain=2.5, resource_gain=-0.25)
    assert int(after.player.score) == 9


@pytest.mark.parametrize("hp, from_scheduled, kills", [(1, False, 1), (1, True, 0), (2, False, 0)])
def test_kills_count_regular_enemies_killed(hp, from_scheduled, kills):
    glitch = EnemySpec("glitch", 0, 4, hp, from_scheduled=from_scheduled)
    state = build_state(Scenario(PlayerSpec(0, 0), enemies=[glitch]))
    after, _, _, _, components = step(state, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01, kills=0.3 * kills)
    assert len(describe(after)["enemies"]) == 1 - (hp == 1)


@pytest.mark.parametrize("from_scheduled", [False, True])
def test_kills_count_regular_transmissions_shot(from_scheduled):
    state = build_state(Scenario(PlayerSpec(0, 0), transmissions=[TransmissionSpec(3, 0, 2, "virus")]))
    t = state.transmissions
    state = state._replace(transmissions=t._replace(from_scheduled=t.from_scheduled.at[0].set(from_scheduled)))
    after, _, _, _, components = step(state, C.ACTION_UP)
    assert_components(components, step_penalty=-0.01, kills=0.0 if from_scheduled else 0.3)
    assert describe(after)["transmissions"] == []


def test_data_siphon_for_walking_onto_a_pickup_not_for_siph_plus():
    state = build_state(Scenario(PlayerSpec(2, 2, credits=5), resources=[ResourceSpec(1, 2, data_siphon=True)],
                                 owned_programs=["SIPH+"]))  # fmt: skip
    walked, _, _, _, components = step(state, C.ACTION_DOWN)
    assert_components(components, step_penalty=-0.01, data_siphon=1.0)
    assert (int(walked.player.data_siphons), describe(walked)["pickups"]) == (1, [])
    bought, _, _, _, components = step(state, P["SIPH+"])
    assert_components(components, step_penalty=-0.01, resource_gain=-0.25)
    assert int(bought.player.data_siphons) == 1


def test_distance_shaping_after_warp_onto_the_exit_is_the_whole_start_distance():
    scenario = Scenario(PlayerSpec(0, 0, credits=2, energy=2), enemies=[EnemySpec("virus", 5, 5, 2)],
                        owned_programs=["WARP"])  # fmt: skip
    after, _, _, done, components = step(build_state(scenario), P["WARP"])
    assert_components(components, step_penalty=-0.01, stage_completion=1.0, kills=0.3, distance_shaping=0.5,
                      resource_gain=-0.2)  # fmt: skip
    assert int(after.stage) == 2 and not done


def test_distance_shaping_is_zero_when_the_player_dies():
    scenario = Scenario(PlayerSpec(3, 3, hp=1), enemies=[EnemySpec("daemon", 4, 4, 3)])
    after, _, _, done, components = step(build_state(scenario), C.ACTION_RIGHT)  # D 4 -> 3, then killed
    assert_components(components, step_penalty=-0.01, damage_penalty=-1.0)
    assert done and int(after.player.hp) == 0 and int(after.player.col) == 4


def test_distance_before_is_measured_on_the_board_before_the_step():
    # The block at (4, 5) makes the way round 4 moves long; CRASH removes it, leaving 2.
    scenario = Scenario(PlayerSpec(3, 5, credits=3, energy=2), blocks=[BlockSpec(4, 5, "data", points=1)],
                        owned_programs=["CRASH"])  # fmt: skip
    _, _, _, _, components = step(build_state(scenario), P["CRASH"])
    assert_components(components, step_penalty=-0.01, distance_shaping=0.1, resource_gain=-0.25)


def test_an_unreachable_exit_has_distance_zero():
    scenario = Scenario(PlayerSpec(3, 4), blocks=[BlockSpec(4, 5, "data"), BlockSpec(5, 4, "data")])
    _, _, _, _, components = step(build_state(scenario), C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01)


def test_damage_penalty_per_hit_point():
    scenario = Scenario(PlayerSpec(2, 2, energy=1), owned_programs=["WAIT"],
                        enemies=[EnemySpec("daemon", 3, 2, 3), EnemySpec("glitch", 2, 1, 2)])  # fmt: skip
    after, _, _, _, components = step(build_state(scenario), P["WAIT"])
    assert_components(components, step_penalty=-0.01, damage_penalty=-2.0, resource_gain=-0.05)
    assert int(after.player.hp) == 1


@pytest.mark.parametrize("hp, recovery, waste", [(1, 2.0, 0.0), (2, 1.0, -0.3)])
def test_hp_recovery_and_program_waste_of_reset(hp, recovery, waste):
    state = build_state(Scenario(PlayerSpec(2, 2, hp=hp, energy=4), owned_programs=["RESET"]))
    after, _, _, _, components = step(state, P["RESET"])
    assert_components(components, step_penalty=-0.01, hp_recovery=recovery, program_waste=waste, resource_gain=-0.2)
    assert int(after.player.hp) == 3


@pytest.mark.parametrize("stage", range(1, 9))
def test_death_penalty_grows_with_the_stage(stage):
    scenario = Scenario(PlayerSpec(2, 2, hp=1, energy=1), owned_programs=["WAIT"],
                        enemies=[EnemySpec("daemon", 1, 2, 3)], stage=stage)  # fmt: skip
    _, _, _, done, components = step(build_state(scenario), P["WAIT"])
    death = -0.5 * sum(STAGE_COMPLETION[: stage - 1])
    assert_components(components, step_penalty=-0.01, resource_gain=-0.05, damage_penalty=-1.0, death_penalty=death)
    assert done


@pytest.mark.parametrize(
    "siphon_cell, penalty", [((2, 3), -10.0), ((3, 3), 0.0)], ids=["adjacent", "diagonal"]
)
def test_siphon_death_penalty_needs_an_adjacent_siphon_enemy_in_any_state(siphon_cell, penalty):
    # A regular daemon kills; a stunned siphon-spawned daemon merely stands by.
    scenario = Scenario(PlayerSpec(2, 2, hp=1, energy=1), owned_programs=["WAIT"],
                        enemies=[EnemySpec("daemon", 1, 2, 3),
                                 EnemySpec("daemon", *siphon_cell, 3, stunned=True, from_siphon=True)])  # fmt: skip
    _, _, _, done, components = step(build_state(scenario), P["WAIT"])
    assert_components(components, step_penalty=-0.01, resource_gain=-0.05, damage_penalty=-1.0,
                      siphon_death_penalty=penalty)  # fmt: skip
    assert done


def test_resource_holding_on_stage_completion():
    state = build_state(Scenario(PlayerSpec(5, 4, credits=20, energy=5)))
    _, _, _, _, components = step(state, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01, stage_completion=1.0, distance_shaping=0.05,
                      resource_holding=0.25)  # fmt: skip


def test_an_optimal_siphon_has_no_quality_penalty():
    scenario = Scenario(PlayerSpec(1, 1, data_siphons=1), blocks=[BlockSpec(1, 2, "data", points=2, spawn_count=0)],
                        resources=[ResourceSpec(0, 1, credits=2)])  # fmt: skip
    _, _, _, _, components = step(build_state(scenario), C.ACTION_SIPHON)
    assert_components(components, step_penalty=-0.01, score_gain=1.0, resource_gain=0.1)


def test_undo_takes_back_a_kill_made_by_a_program():
    scenario = Scenario(PlayerSpec(0, 0, credits=10, energy=5), enemies=[EnemySpec("virus", 0, 5, 1)],
                        owned_programs=["WAIT", "ROW", "UNDO"])  # fmt: skip
    state, *_ = step(build_state(scenario), P["WAIT"])  # the virus walks to (0, 3); snapshot
    snapshot_view = describe(state)
    state, _, _, _, components = step(state, P["ROW"])
    assert_components(components, step_penalty=-0.01, kills=0.3, resource_gain=-0.2)
    state, _, reward, _, components = step(state, P["UNDO"])
    assert_components(components, kills=-0.3, resource_gain=0.2)
    assert reward == pytest.approx(-0.1)
    view = describe(state)
    assert view["enemies"] == snapshot_view["enemies"] and view["player"] == snapshot_view["player"]
    assert sum(view["reward_totals"].values()) == pytest.approx(sum(snapshot_view["reward_totals"].values()) - 0.01)


INVALID = {
    "move into a plain block": (Scenario(PlayerSpec(2, 2), blocks=[BlockSpec(3, 2, "data")]), C.ACTION_UP),
    "move off the board": (Scenario(PlayerSpec(0, 2)), C.ACTION_DOWN),
    "siphon without siphons": (Scenario(PlayerSpec(2, 2)), C.ACTION_SIPHON),
    "program not owned": (Scenario(PlayerSpec(2, 2, energy=5)), P["WAIT"]),
    "program too expensive": (Scenario(PlayerSpec(2, 2, credits=4), owned_programs=["SIPH+"]), P["SIPH+"]),
    "program not applicable": (Scenario(PlayerSpec(2, 2, energy=5), owned_programs=["PUSH"]), P["PUSH"]),
}


@pytest.mark.parametrize("scenario, action", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_action_changes_nothing_pays_nothing_and_ends_the_episode(scenario, action):
    state = build_state(scenario)
    after, obs, reward, done, components = step(state, action)
    assert_components(components)
    assert reward == 0.0 and done
    jax.tree.map(np.testing.assert_array_equal, after, state)
    jax.tree.map(np.testing.assert_array_equal, obs, OBSERVE(state))


REWARD = jax.jit(step_reward)


def test_reward_config_sets_every_number():
    """Doubling every coefficient doubles every component; the tables are configurable too."""
    before = build_state(Scenario(PlayerSpec(3, 5, hp=2, credits=4, energy=3, score=1), stage=2,
                                  enemies=[EnemySpec("daemon", 4, 5, 1, from_siphon=True)]))  # fmt: skip
    after = before._replace(player=before.player._replace(hp=jnp.int32(0), credits=jnp.int32(1), score=jnp.int32(6)))
    outcome = ActionOutcome.nothing()._replace(kills=jnp.int32(2), missed_credits=jnp.int32(2),
                                               missed_energy=jnp.int32(1), siphon_suboptimal=jnp.asarray(True))

    def reward(config: RewardConfig) -> dict[str, float]:
        values = REWARD(config, before, after, jnp.asarray(C.ACTION_SIPHON, jnp.int32), outcome,
                        jnp.asarray(2, jnp.int32))  # fmt: skip
        return dict(zip(C.REWARD_COMPONENTS, np.asarray(values).tolist()))

    default = reward(RewardConfig())
    assert_components(default, step_penalty=-0.01, score_gain=2.5, kills=0.6, damage_penalty=-2.0, death_penalty=-0.5,
                      siphon_death_penalty=-10.0, resource_gain=-0.15, siphon_quality=-0.5 * 0.15)  # fmt: skip
    tables = {"stage_completion", "missed_credit_value", "missed_energy_value"}  # they multiply other coefficients
    doubled = RewardConfig(**{field.name: 2 * getattr(RewardConfig(), field.name)
                              for field in dataclasses.fields(RewardConfig) if field.name not in tables})  # fmt: skip
    assert_components(reward(doubled), **{name: 2 * value for name, value in default.items()})
    other_tables = RewardConfig(stage_completion=(3.0,) * 8, missed_credit_value=0.2, missed_energy_value=0.0)
    assert_components(reward(other_tables), **{**default, "death_penalty": -1.5, "siphon_quality": -0.5 * 0.4})


# --- Further rule checks (§5.1, §6.1, §7) -------------------------------------------------------------------------


def test_reaching_the_exit_runs_no_enemy_phase():
    """§5.1 step 4 / §6.1: "No enemy phase runs in a step that completes a stage": the daemon next to the exit
    neither attacks nor moves, the owed siphon transmissions stay owed (§6.2.1 keeps pending_siphon)."""
    scenario = Scenario(PlayerSpec(4, 5, hp=2), enemies=[EnemySpec("daemon", 5, 4, 3)])
    state = build_state(scenario)._replace(pending_siphon=jnp.asarray(2, jnp.int32))
    after, _, _, done, components = step(state, C.ACTION_UP)
    assert_components(components, step_penalty=-0.01, stage_completion=1.0, distance_shaping=0.05, hp_recovery=1.0)
    view = describe(after)
    assert not done and view["player"]["hp"] == 3 and view["stage"] == 2 and view["pending_siphon"] == 2
    assert [(e["row"], e["col"], e["stunned"]) for e in view["enemies"]] == [(5, 4, False)]
    assert [(t["from_siphon"], t["from_scheduled"]) for t in view["transmissions"]] == [(False, False)] * 2


def test_pending_siphon_transmissions_arrive_in_the_next_stage():
    # §5.4 / §6.2.1: pending_siphon is not reset; the next phase that runs (in the new stage) creates them.
    scenario = Scenario(PlayerSpec(4, 5, energy=1), owned_programs=["WAIT"])
    state = build_state(scenario)._replace(pending_siphon=jnp.asarray(2, jnp.int32))
    state, *_ = step(state, C.ACTION_UP)
    state, *_ = step(state, P["WAIT"])
    view = describe(state)
    assert view["stage"] == 2 and view["turn"] == 1 and view["pending_siphon"] == 0
    assert [t["from_siphon"] for t in view["transmissions"]] == [True, True]
    assert len(view["enemies"]) == 2  # the two stage-start transmissions matured


def test_resource_holding_is_paid_on_victory_too():
    # §7 component 13: "if a stage was completed (including victory): 0.01 x credits + 0.01 x energy".
    state = build_state(Scenario(PlayerSpec(4, 5, credits=10, energy=5, score=2), stage=8))
    _, _, _, done, components = step(state, C.ACTION_UP)
    assert_components(components, step_penalty=-0.01, stage_completion=100.0, distance_shaping=0.05,
                      victory=700.0, resource_holding=0.15)  # fmt: skip
    assert done


def test_damage_penalty_counts_hit_points_actually_lost():
    # §5.2 step 4: "player hp -1 (not below 0)"; §7 component 7: -1.0 x (hp0 - hp).
    scenario = Scenario(PlayerSpec(2, 2, hp=1, energy=1), owned_programs=["WAIT"],
                        enemies=[EnemySpec("daemon", 3, 2, 3), EnemySpec("glitch", 2, 1, 2)])  # fmt: skip
    after, _, _, done, components = step(build_state(scenario), P["WAIT"])
    assert_components(components, step_penalty=-0.01, damage_penalty=-1.0, resource_gain=-0.05)
    assert done and int(after.player.hp) == 0


def test_siphon_death_penalty_counts_a_freshly_matured_siphon_enemy():
    """§7 component 11: "after the enemy phase, at least one adjacent enemy (cardinal, any state) has from_siphon
    set": a siphon transmission next to the player matures (disabled, so it does not attack) while a regular
    daemon deals the last hit point."""
    scenario = Scenario(PlayerSpec(2, 2, hp=1, energy=1), owned_programs=["WAIT"],
                        enemies=[EnemySpec("daemon", 3, 2, 3)], transmissions=[TransmissionSpec(2, 3, 1, "virus")])
    state = build_state(scenario)
    t = state.transmissions
    state = state._replace(transmissions=t._replace(from_siphon=t.from_siphon.at[0].set(True)))
    after, _, _, done, components = step(state, P["WAIT"])
    assert_components(components, step_penalty=-0.01, damage_penalty=-1.0, resource_gain=-0.05,
                      siphon_death_penalty=-10.0)  # fmt: skip
    assert done and [(e["kind"], e["from_siphon"]) for e in describe(after)["enemies"]] == [
        ("daemon", False), ("virus", True)
    ]  # fmt: skip


def test_distance_shaping_when_warp_leaves_the_exit_unreachable():
    """§7: "If the exit is unreachable, D is taken as 0" and Δ = D0 - D(after). WARP onto the only enemy, a glitch
    walled in by blocks at (2,2): D0 = 10 from (0,0), D after = 0, so shaping pays 0.05 x 10."""
    walls = [BlockSpec(r, c, "data", points=1) for r, c in [(1, 2), (3, 2), (2, 1), (2, 3)]]
    scenario = Scenario(PlayerSpec(0, 0, credits=2, energy=2, data_siphons=1), enemies=[EnemySpec("glitch", 2, 2, 2)],
                        blocks=walls, owned_programs=["WARP"])  # fmt: skip (the siphon keeps an action valid)
    after, _, _, done, components = step(build_state(scenario), P["WARP"])
    assert_components(components, step_penalty=-0.01, kills=0.3, distance_shaping=0.5, resource_gain=-0.2)
    assert (int(after.player.row), int(after.player.col), int(after.turn), done) == (2, 2, 0, False)


def test_undo_rewinds_a_score_gain_into_a_negative_one():
    # §7 component 3 "(can be negative after UNDO)"; "UNDO rewinds the reward".
    scenario = Scenario(PlayerSpec(2, 2, credits=1, energy=6), owned_programs=["WAIT", "SCORE", "UNDO"])
    state, *_ = step(build_state(scenario), P["WAIT"])  # snapshot: energy 5, score 0
    state, _, _, _, components = step(state, P["SCORE"])
    assert_components(components, step_penalty=-0.01, score_gain=3.5, resource_gain=-0.25)
    state, _, reward, done, components = step(state, P["UNDO"])
    assert_components(components, score_gain=-3.5, resource_gain=0.25)  # step: -0.01 back, -0.01 its own
    assert reward == pytest.approx(-3.25) and not done
    assert describe(state)["player"] == dict(row=2, col=2, hp=3, credits=1, energy=5, data_siphons=0,
                                             attack_damage=1, score=0)  # fmt: skip


def test_an_attack_steps_own_reward_is_part_of_its_snapshot():
    """§7: a snapshot stores the totals "at the end of the step whose enemy phase pushed it (that step's own reward
    included)": UNDO right after a shot returns to the state after that shot and takes nothing back."""
    scenario = Scenario(PlayerSpec(0, 0, credits=1), transmissions=[TransmissionSpec(3, 0, 2, "virus")],
                        owned_programs=["UNDO"])  # fmt: skip
    shot, _, _, _, components = step(build_state(scenario), C.ACTION_UP)
    assert_components(components, step_penalty=-0.01, kills=0.3)
    undone, _, reward, _, components = step(shot, P["UNDO"])
    assert_components(components, step_penalty=-0.01)
    view, before = describe(undone), describe(shot)
    assert view["transmissions"] == [] and view["player"] == before["player"] and view["history_count"] == 0
    assert view["reward_totals"] == pytest.approx({**before["reward_totals"], "step_penalty": -0.02})


def test_a_scheduled_enemy_restored_by_undo_pays_a_kill():
    # §7 kills: "Enemies and transmissions restored by UNDO have no origin flags."
    scenario = Scenario(PlayerSpec(0, 0, credits=1, energy=1), owned_programs=["WAIT", "UNDO"],
                        enemies=[EnemySpec("glitch", 0, 5, 1, from_scheduled=True)])  # fmt: skip
    state, *_ = step(build_state(scenario), P["WAIT"])  # the glitch walks to (0, 4); snapshot
    _, _, _, _, components = step(state, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01)  # killing it now pays nothing
    state, *_ = step(state, P["UNDO"])
    assert describe(state)["enemies"][0]["from_scheduled"] is False
    _, _, _, _, components = step(state, C.ACTION_RIGHT)
    assert_components(components, step_penalty=-0.01, kills=0.3)


def test_undo_after_a_phase_skipped_by_step_rewinds_both_turns():
    """§4.3/§5.4: a phase skipped by STEP pushes no snapshot, so the first UNDO "also reverts the previous turn's
    action and the STEP itself"; §7: the return goes back to its value at that snapshot minus 0.01."""
    scenario = Scenario(PlayerSpec(0, 0, credits=1, energy=4), owned_programs=["WAIT", "STEP", "UNDO"])
    state, *_ = step(build_state(scenario), P["WAIT"])  # snapshot: energy 3
    snapshot = describe(state)
    state, _, _, _, components = step(state, P["STEP"])
    assert_components(components, step_penalty=-0.01, resource_gain=-0.15)
    state, _, _, _, components = step(state, C.ACTION_RIGHT)  # D 10 -> 9, phase skipped
    assert_components(components, step_penalty=-0.01, distance_shaping=0.05)
    state, _, reward, _, components = step(state, P["UNDO"])
    assert_components(components, step_penalty=0.01, resource_gain=0.15, distance_shaping=-0.05)
    view = describe(state)
    assert view["player"] == snapshot["player"] and view["history_count"] == 0 and not view["step"]
    assert sum(view["reward_totals"].values()) == pytest.approx(sum(snapshot["reward_totals"].values()) - 0.01)
