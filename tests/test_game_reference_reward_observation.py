"""Differential test of the reward (§7), the observation (§8), the action mask (§3) and episode end (§9).

The reference functions below (and the rule logic they share with the other reference tests, in ``rule_reference``)
are plain Python, written from shared/spec/rules.md alone; they read a state only through ``describe``. Each step of the game (random valid play from generated stages, and hand-built scenarios for
every component and channel) is compared with them: the 15 reward components, their sum, ``done``, the episode's
running reward totals and every part of the observation.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
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
from rule_reference import (
    ACTION,
    ACTION_SIPHON,
    BOARD,
    CELLS,
    DIRECTIONS,
    ENEMY_TYPES,
    PROGRAM_NAMES,
    Cell,
    View,
    adjacent_cells,
    blocks_by_cell,
    cell_of,
    enemies_on,
    line_of_fire_target,
    missed_siphon_resources,
    player_cell,
    reference_action_mask,
    step_counts,
    surrounding_cells,
    transmissions_on,
)
from test_game_support import OBSERVE, RESET, step, with_exit

STAGE_COMPLETION_VALUES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0)  # §7 component 2
REWARD_COMPONENTS = (
    "step_penalty", "stage_completion", "score_gain", "kills", "data_siphon", "distance_shaping", "damage_penalty",
    "hp_recovery", "victory", "death_penalty", "siphon_death_penalty", "resource_gain", "resource_holding",
    "program_waste", "siphon_quality",
)  # fmt: skip


def test_the_game_uses_the_rule_books_names_and_order():
    assert tuple(C.PROGRAM_NAMES) == PROGRAM_NAMES
    assert tuple(C.REWARD_COMPONENTS) == REWARD_COMPONENTS
    assert tuple(C.ENEMY_NAMES) == ENEMY_TYPES


# ---------------------------------------------------------------------------------------------------------------
# §8 Observation
# ---------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ReferenceObservation:
    player: np.ndarray
    programs: np.ndarray
    grid: np.ndarray
    flat: np.ndarray


def reference_player_features(view: View) -> np.ndarray:
    """§8.1."""
    p = view["player"]
    return np.array([
        p["row"] / 5, p["col"] / 5, p["hp"] / 3, min(p["credits"] / 50, 1.0), min(p["energy"] / 50, 1.0),
        (view["stage"] - 1) / 7, p["data_siphons"] / 10, (p["attack_damage"] - 1) / 2,
        float(view["show"]), float(view["calm"]),
    ], np.float32)  # fmt: skip


def reference_program_flags(view: View) -> np.ndarray:
    """§8.2."""
    return np.array([name in view["owned_programs"] for name in PROGRAM_NAMES], np.int32)


def reference_grid(view: View) -> np.ndarray:
    """§8.3: 42 channels per cell, grid[r][c] is cell (r, c)."""
    grid = np.zeros((BOARD, BOARD, 42), np.float32)
    p = view["player"]
    for cell in CELLS:
        standing = enemies_on(view, cell)
        if not standing:
            continue
        first = standing[0]
        outside_lines = first["row"] != p["row"] and first["col"] != p["col"]
        hidden = first["kind"] == "cryptog" and outside_lines and not view["show"]
        if not hidden:
            grid[cell][ENEMY_TYPES.index(first["kind"])] = 1
            grid[cell][4] = first["hp"] / 3
            grid[cell][5] = float(first["stunned"])
            grid[cell][6] = float(first["from_siphon"])
    for block in view["blocks"]:
        channels = grid[cell_of(block)]
        if block["question"]:  # its content stays hidden: only channel 9 (and the siphoned flag, never set on one)
            channels[9] = 1
        elif block["kind"] == "data":
            channels[7] = 1
            channels[10] = block["points"] / 9
        else:
            channels[8] = 1
            channels[12 + PROGRAM_NAMES.index(block["program"])] = 1
        channels[11] = float(block["siphoned"])
        if not block["question"] and not block["siphoned"]:
            channels[35] = block["spawn_count"] / 9
    for transmission in view["transmissions"]:
        grid[cell_of(transmission)][36] = min(transmission["countdown"] / 4, 1.0)
    blocks = blocks_by_cell(view)
    siphoned = set(view["siphoned_cells"])
    for resource in view["resources"]:
        cell = cell_of(resource)
        if cell not in blocks or cell in siphoned:
            grid[cell][37] = resource["credits"] / 3
            grid[cell][38] = resource["energy"] / 3
        grid[cell][39] = float(resource["data_siphon"])
    for cell in view["exit_cells"]:
        grid[cell][40] = 1
    for cell in view["siphon_centers"]:
        grid[cell][41] = 1
    return grid


def reference_observation(view: View) -> ReferenceObservation:
    """§8: player features, program flags, grid; flat = their concatenation (row, column, channel order)."""
    player, programs, grid = reference_player_features(view), reference_program_flags(view), reference_grid(view)
    flat = np.concatenate([player, programs.astype(np.float32), grid.reshape(-1)])
    return ReferenceObservation(player, programs, grid, flat)


def observation_mismatches(obs, view: View) -> list[str]:
    """Where the game's observation differs from the reference: "part[index]: game vs reference" lines."""
    expected = reference_observation(view)
    got = jax.device_get(obs)
    mismatches = []
    if got.flat.shape != (1545,):
        mismatches.append(f"flat shape {got.flat.shape}")
    parts = [("player (§8.1)", got.player, expected.player), ("programs (§8.2)", got.programs, expected.programs),
             ("grid[row, col, channel] (§8.3)", got.grid, expected.grid), ("flat (§8)", got.flat, expected.flat),
             ("action_mask (§3)", got.action_mask, reference_action_mask(view))]  # fmt: skip
    for part, game, reference in parts:
        game, reference = np.asarray(game, np.float64), np.asarray(reference, np.float64)
        for index in np.argwhere(np.abs(game - reference) > 1e-6)[:10]:
            mismatches.append(f"{part}{list(index)}: game {game[tuple(index)]} vs reference {reference[tuple(index)]}")
    return mismatches


def assert_observation_matches(obs, view: View) -> None:
    mismatches = observation_mismatches(obs, view)
    assert not mismatches, "\n".join(mismatches)


# ---------------------------------------------------------------------------------------------------------------
# §7 Reward
# ---------------------------------------------------------------------------------------------------------------


def reference_exit_distance(view: View, start: Cell) -> int:
    """§7 exit distance D: fewest cardinal moves to the exit position; every cell entered before the exit holds no
    block (the exit itself may hold one); 0 at the exit and when the exit is unreachable."""
    goal = view["exit_position"]
    blocks = blocks_by_cell(view)
    # The start counts as passable: the player may stand on a block (after WARP).
    return step_counts(start, lambda cell: cell in (start, goal) or cell not in blocks).get(goal, 0)


def reference_siphon_quality(view: View) -> float:
    """§7 component 15, on the state before the siphon."""
    missed_credits, missed_energy = missed_siphon_resources(view)
    return -0.5 * (0.05 * missed_credits + 0.05 * missed_energy)


@dataclasses.dataclass(frozen=True)
class StepFacts:
    """What happened inside a step that the reward depends on, derived from the rules and the two views."""

    kills: int
    collected_pickup: bool
    completed_stage: bool
    enemy_phase_ran: bool


def count_not_scheduled(entries: list[dict]) -> int:
    return sum(not entry["from_scheduled"] for entry in entries)


def first_counts(entries: list[dict]) -> int:
    """§4.3 CRASH/WARP: one kill for a cell's entities if the first of them is not from_scheduled."""
    return int(bool(entries) and not entries[0]["from_scheduled"])


def reference_step_facts(before: View, after: View, action: int) -> StepFacts:
    """Kills (§7), pickup collection (§4.1), stage completion (§6.1) and whether the enemy phase ran (§5.1,
    §5.4)."""
    kills, collected, completed = 0, False, False
    ends_turn = action <= ACTION_SIPHON or action == ACTION["WAIT"]
    if action < ACTION_SIPHON:
        target = line_of_fire_target(before, action)
        if target is None:  # §4.1.4 a move
            dr, dc = DIRECTIONS[action]
            destination = (before["player"]["row"] + dr, before["player"]["col"] + dc)
            collected = destination in before["pickups"]
            completed = destination in before["exit_cells"]
        elif target[0] == "transmission":  # §4.1.2
            kills = int(not before["transmissions"][target[1]]["from_scheduled"])
        else:  # §4.1.3
            enemy = before["enemies"][target[1]]
            kills = int(enemy["hp"] <= before["player"]["attack_damage"] and not enemy["from_scheduled"])
    elif action == ACTION["CRASH"]:  # §4.3: per surrounding cell, one enemy and one transmission kill at most
        for cell in surrounding_cells(player_cell(before)):
            kills += first_counts(enemies_on(before, cell)) + first_counts(transmissions_on(before, cell))
    elif action == ACTION["WARP"]:  # §4.3: the player lands on the target's cell; that kind is cleared from it
        destination = player_cell(after)
        completed = destination == before["exit_position"]
        enemies_there = enemies_on(before, destination)
        if enemies_there and not enemies_on(after, destination):
            kills = first_counts(enemies_there)
        else:
            kills = first_counts(transmissions_on(before, destination))
    elif action not in (ACTION_SIPHON, ACTION["WAIT"], ACTION["UNDO"]):
        # The remaining programs end no turn and create nothing: every enemy or transmission gone was removed by it.
        kills = count_not_scheduled(before["enemies"]) - count_not_scheduled(after["enemies"])
        kills += count_not_scheduled(before["transmissions"]) - count_not_scheduled(after["transmissions"])
    return StepFacts(kills, collected, completed, enemy_phase_ran=ends_turn and not completed and not before["step"])


def reference_reward(before: View, after: View, action: int, facts: StepFacts) -> dict[str, float]:
    """§7 components 1-15 of a valid step other than UNDO."""
    p0, p = before["player"], after["player"]
    died = p["hp"] == 0
    stage = before["stage"]
    distance_before = reference_exit_distance(before, player_cell(before))
    if died:
        delta = 0
    elif facts.completed_stage:
        delta = distance_before
    else:
        delta = distance_before - reference_exit_distance(after, player_cell(after))
    siphon_enemy_adjacent = any(
        e["from_siphon"] for cell in adjacent_cells(player_cell(after)) for e in enemies_on(after, cell)
    )
    return {
        "step_penalty": -0.01,
        "stage_completion": STAGE_COMPLETION_VALUES[stage - 1] if facts.completed_stage else 0.0,
        "score_gain": 0.5 * (p["score"] - p0["score"]),
        "kills": 0.3 * facts.kills,
        "data_siphon": 1.0 if facts.collected_pickup else 0.0,
        "distance_shaping": 0.05 * max(delta, 0),
        "damage_penalty": -1.0 * (p0["hp"] - p["hp"]) if p["hp"] < p0["hp"] else 0.0,
        "hp_recovery": 1.0 * (p["hp"] - p0["hp"]) if p["hp"] > p0["hp"] else 0.0,
        "victory": 500.0 + 100.0 * p["score"] if facts.completed_stage and stage == 8 else 0.0,
        "death_penalty": -0.5 * sum(STAGE_COMPLETION_VALUES[: stage - 1]) if died else 0.0,
        "siphon_death_penalty": -10.0 if died and siphon_enemy_adjacent else 0.0,
        "resource_gain": 0.05 * (p["credits"] - p0["credits"]) + 0.05 * (p["energy"] - p0["energy"]),
        "resource_holding": 0.01 * p["credits"] + 0.01 * p["energy"] if facts.completed_stage else 0.0,
        "program_waste": -0.3 if action == ACTION["RESET"] and p0["hp"] == 2 else 0.0,
        "siphon_quality": reference_siphon_quality(before) if action == ACTION_SIPHON else 0.0,
    }


def reference_undo_reward(snapshot_totals: dict[str, float], totals_before: dict[str, float]) -> dict[str, float]:
    """§7 "UNDO rewinds the reward": restored totals minus running totals, plus the usual step penalty."""
    components = {name: snapshot_totals[name] - totals_before[name] for name in REWARD_COMPONENTS}
    components["step_penalty"] -= 0.01
    return components


def reference_done(valid: bool, after: View) -> bool:
    """§9: death, victory (stage 9) or an invalid action."""
    return not valid or after["player"]["hp"] == 0 or after["stage"] == 9


# ---------------------------------------------------------------------------------------------------------------
# The differential driver
# ---------------------------------------------------------------------------------------------------------------


def approx_components(expected: dict[str, float]):
    return pytest.approx(expected, rel=1e-5, abs=1e-5)


class ReferenceEpisode:
    """Steps the game and checks every step against the reference; keeps the reference's own reward totals and the
    totals each UNDO snapshot stores (§7), since a snapshot's content is not part of ``describe``."""

    def __init__(self, state, seed: int = 0):
        self.state = state
        self.view = describe(state)
        self.totals = {name: 0.0 for name in REWARD_COMPONENTS}
        self.snapshot_totals: list[dict[str, float]] = []
        self.key = jax.random.key(seed)
        self.steps = 0
        assert self.view["history_count"] == 0, "the reference tracks snapshots from an empty history"
        assert_observation_matches(OBSERVE(state), self.view)

    def step(self, action: int) -> tuple[dict[str, float], bool]:
        """One checked step; returns the game's components and done."""
        before = self.view
        valid = bool(reference_action_mask(before)[action])
        self.key, key = jax.random.split(self.key)
        state, obs, reward, done, components = step(self.state, action, key)
        after = describe(state)
        where = f"step {self.steps} action {action}"
        enemy_phase_ran = False
        if not valid:  # §9: nothing changes, all components 0, the episode ends, the observation is the old one
            expected = {name: 0.0 for name in REWARD_COMPONENTS}
            assert after == before, where
        elif action == ACTION["UNDO"]:
            expected = reference_undo_reward(self.snapshot_totals.pop(), self.totals)
        else:
            facts = reference_step_facts(before, after, action)
            expected = reference_reward(before, after, action, facts)
            enemy_phase_ran = facts.enemy_phase_ran
            if facts.completed_stage:  # §6.1, §6.2: the history is emptied
                assert after["stage"] == before["stage"] + 1, where
                self.snapshot_totals.clear()
        assert components == approx_components(expected), where
        assert reward == pytest.approx(sum(expected.values()), rel=1e-5, abs=1e-4), where
        assert done == reference_done(valid, after), where
        self.totals = {name: self.totals[name] + expected[name] for name in REWARD_COMPONENTS}
        assert after["reward_totals"] == pytest.approx(self.totals, rel=1e-4, abs=1e-3), where
        if enemy_phase_ran:  # §5.2 step 8 pushes a snapshot
            assert after["turn"] == before["turn"] + 1, where
            self.snapshot_totals.append(dict(self.totals))
        assert_observation_matches(obs, after)
        self.state, self.view = state, after
        self.steps += 1
        return components, done


def random_action(rng: np.random.Generator, view: View) -> int:
    """A valid action: about a third of the time a step towards the exit (so that stages get completed), another
    third a siphon or program (so that they occur often), otherwise any valid action."""
    valid = np.flatnonzero(reference_action_mask(view))
    here = player_cell(view)
    towards_exit = [a for a in valid if a < ACTION_SIPHON
                    and reference_exit_distance(view, (here[0] + DIRECTIONS[a][0], here[1] + DIRECTIONS[a][1]))
                    < reference_exit_distance(view, here)]  # fmt: skip
    draw = rng.random()
    if towards_exit and draw < 0.35:
        return int(rng.choice(towards_exit))
    special = valid[valid >= ACTION_SIPHON]
    if special.size and draw < 0.7:
        return int(rng.choice(special))
    return int(rng.choice(valid))


def rich_start(state):
    """A generated stage-1 state where the player owns every program and has plenty to spend (setup only)."""
    player = state.player._replace(
        credits=jnp.asarray(60, jnp.int32), energy=jnp.asarray(45, jnp.int32),
        data_siphons=jnp.asarray(2, jnp.int32),
    )  # fmt: skip
    return state._replace(player=player, owned=jnp.ones_like(state.owned))


RANDOM_PLAY_SEEDS = range(20)
STEPS_PER_SEED = 60


def test_random_play_matches_the_reference():
    """Random valid play from generated stages (odd seeds with every program owned); each run ends with one invalid
    action when any exists. Coverage of the interesting events is asserted so the sample stays meaningful."""
    seen: dict[str, int] = {name: 0 for name in REWARD_COMPONENTS}
    checked_steps = 0
    for seed in RANDOM_PLAY_SEEDS:
        rng = np.random.default_rng(seed)
        state, _ = RESET(jax.random.key(seed))
        if seed % 2:
            state = rich_start(state)
        episode = ReferenceEpisode(state, seed)
        for _ in range(STEPS_PER_SEED):
            components, done = episode.step(random_action(rng, episode.view))
            for name, value in components.items():
                seen[name] += value != 0.0
            if done:
                break
        else:
            invalid = np.flatnonzero(np.logical_not(reference_action_mask(episode.view)))
            if invalid.size:
                episode.step(int(rng.choice(invalid)))
        checked_steps += episode.steps
    assert checked_steps >= 800
    for name in ("stage_completion", "score_gain", "kills", "data_siphon", "distance_shaping", "damage_penalty",
                 "hp_recovery", "resource_gain", "resource_holding", "siphon_quality"):  # fmt: skip
        assert seen[name] > 0, f"random play never produced {name}"


# ---------------------------------------------------------------------------------------------------------------
# Targeted scenarios: the appendix examples (their numbers check the reference itself) and the rarer cases
# ---------------------------------------------------------------------------------------------------------------


def checked_step(state, action: int, seed: int = 0) -> tuple[dict[str, float], bool]:
    return ReferenceEpisode(state, seed).step(action)


def assert_total(components: dict[str, float], total: float) -> None:
    assert sum(components.values()) == pytest.approx(total, abs=1e-4)


APPENDIX = {
    "1 shooting a transmission": (
        with_exit(build_state(Scenario(PlayerSpec(1, 2), transmissions=[TransmissionSpec(4, 2, 2, "virus")])), 5, 0),
        0, 0.29),
    "3 virus moves then attacks": (
        with_exit(build_state(Scenario(PlayerSpec(0, 3, energy=1), owned_programs=["WAIT"],
                                       enemies=[EnemySpec("virus", 2, 3, 2)])), 5, 0),
        ACTION["WAIT"], -1.06),
    "4 siphoning a cross": (
        build_state(Scenario(PlayerSpec(2, 2, data_siphons=1), turn=3,
                             blocks=[BlockSpec(3, 2, "data", points=4, spawn_count=4),
                                     BlockSpec(2, 3, "program", spawn_count=4, program="DEBUG")],
                             resources=[ResourceSpec(2, 2, credits=2), ResourceSpec(2, 1, energy=3)])),
        ACTION_SIPHON, 2.24),
    "5 suboptimal siphon position": (
        build_state(Scenario(PlayerSpec(1, 0, data_siphons=1),
                             blocks=[BlockSpec(1, 1, "data", points=2, spawn_count=2)],
                             resources=[ResourceSpec(0, 0, credits=1), ResourceSpec(2, 2, credits=2),
                                        ResourceSpec(1, 3, energy=1)])),
        ACTION_SIPHON, 0.99),
    "6 push with a collision": (
        build_state(Scenario(PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"],
                             enemies=[EnemySpec("glitch", 1, 3, 2), EnemySpec("daemon", 0, 3, 3)])),
        ACTION["PUSH"], -0.11),
    "8 poly kills a wounded daemon": (
        build_state(Scenario(PlayerSpec(2, 2, credits=1, energy=1), owned_programs=["POLY"],
                             enemies=[EnemySpec("daemon", 0, 0, 1), EnemySpec("glitch", 4, 4, 2)])),
        ACTION["POLY"], 0.19),
    "10 d_bom": (
        build_state(Scenario(PlayerSpec(2, 2, credits=3), owned_programs=["D_BOM"],
                             enemies=[EnemySpec("daemon", 0, 5, 3), EnemySpec("daemon", 4, 1, 3),
                                      EnemySpec("virus", 5, 2, 2), EnemySpec("cryptog", 3, 1, 1)])),
        ACTION["D_BOM"], 0.44),
    "11 completing a stage": (
        with_exit(build_state(Scenario(PlayerSpec(4, 0, hp=2, credits=7, energy=3), stage=3,
                                       enemies=[EnemySpec("daemon", 2, 4, 3)])), 5, 0),
        0, 5.14),
    "12 victory": (
        with_exit(build_state(Scenario(PlayerSpec(0, 4, score=12), stage=8)), 0, 5), 3, 1800.04),
    "13 death to a siphon-spawned enemy": (
        build_state(Scenario(PlayerSpec(3, 3, hp=1, energy=1), owned_programs=["WAIT"], stage=4,
                             enemies=[EnemySpec("daemon", 3, 4, 3, from_siphon=True)])),
        ACTION["WAIT"], -14.56),
    "14 step": (
        build_state(Scenario(PlayerSpec(0, 0, energy=3), owned_programs=["STEP"], turn=6,
                             transmissions=[TransmissionSpec(4, 4, 1, "virus")],
                             enemies=[EnemySpec("daemon", 3, 5, 3, stunned=True)])),
        ACTION["STEP"], -0.16),
}  # fmt: skip


def scheduled_transmission_at(state, index: int):
    """Example 9's transmission comes from a scheduled task, which a scenario cannot say (setup only)."""
    t = state.transmissions
    return state._replace(transmissions=t._replace(from_scheduled=t.from_scheduled.at[index].set(True)))


@pytest.mark.parametrize("state, action, total", APPENDIX.values(), ids=APPENDIX.keys())
def test_appendix_examples(state, action, total):
    components, _ = checked_step(state, action)
    assert_total(components, total)


def test_appendix_example_9_scheduled_transmission_is_no_kill():
    state = build_state(Scenario(PlayerSpec(3, 3, credits=3, energy=2), owned_programs=["CRASH"],
                                 blocks=[BlockSpec(4, 4, "data", points=1, spawn_count=1)],
                                 enemies=[EnemySpec("glitch", 2, 2, 2)],
                                 transmissions=[TransmissionSpec(2, 3, 1, "daemon")]))  # fmt: skip
    components, _ = checked_step(scheduled_transmission_at(state, 0), ACTION["CRASH"])
    assert_total(components, 0.04)


def test_appendix_example_14_step_skips_the_phase_and_shaping_pays():
    state = APPENDIX["14 step"][0]
    episode = ReferenceEpisode(state)
    episode.step(ACTION["STEP"])
    components, _ = episode.step(3)
    assert_total(components, 0.04)
    assert episode.view["turn"] == 6


def test_appendix_example_16_undo_rewinds_the_reward():
    # A snapshot (credits 6, energy 0) is pushed by a WAIT; then EXCH and UNDO.
    state = build_state(Scenario(PlayerSpec(2, 2, credits=6, energy=1), owned_programs=["WAIT", "EXCH", "UNDO"]))
    episode = ReferenceEpisode(state)
    episode.step(ACTION["WAIT"])
    episode.step(ACTION["EXCH"])
    components, _ = episode.step(ACTION["UNDO"])
    assert_total(components, 0.0)
    assert episode.view["player"]["credits"] == 6 and episode.view["player"]["energy"] == 0


def test_undo_after_two_turns_takes_back_a_kill_and_shaping_and_restored_enemies_lose_their_origin():
    state = build_state(Scenario(PlayerSpec(0, 0, credits=10, energy=5), owned_programs=["WAIT", "ROW", "UNDO"],
                                 enemies=[EnemySpec("daemon", 0, 5, 1, from_scheduled=True),
                                          EnemySpec("virus", 3, 0, 2)]))  # fmt: skip
    episode = ReferenceEpisode(state)
    episode.step(ACTION["WAIT"])  # snapshot 1
    episode.step(3)  # the line of fire hits the daemon: no kill (scheduled); snapshot 2
    episode.step(ACTION["UNDO"])  # back to the start of this turn
    episode.step(ACTION["UNDO"])  # back one more turn: the daemon returns, without its origin
    enemies = episode.view["enemies"]
    assert enemies[0]["kind"] == "daemon" and not any(e["from_scheduled"] for e in enemies)
    components, _ = episode.step(ACTION["ROW"])  # §7: restored enemies have no origin flags, so this is a kill
    assert components["kills"] == pytest.approx(0.3)


@pytest.mark.parametrize("hp, total", [(1, -0.01 + 2.0 - 0.2), (2, -0.01 + 1.0 - 0.2 - 0.3)])
def test_reset_recovers_hp_and_wastes_at_two(hp, total):
    state = build_state(Scenario(PlayerSpec(2, 2, hp=hp, energy=4), owned_programs=["RESET"]))
    components, _ = checked_step(state, ACTION["RESET"])
    assert_total(components, total)


def test_data_siphon_is_paid_for_walking_onto_a_pickup_only():
    state = build_state(Scenario(PlayerSpec(2, 2, credits=5), resources=[ResourceSpec(1, 2, data_siphon=True)],
                                 owned_programs=["SIPH+"]))  # fmt: skip
    walked, _ = checked_step(state, 1)
    assert walked["data_siphon"] == 1.0
    bought, _ = checked_step(state, ACTION["SIPH+"])
    assert bought["data_siphon"] == 0.0


def test_walking_onto_the_exit_leaves_its_resource_and_pays_the_holding():
    state = build_state(Scenario(PlayerSpec(4, 5, credits=3), resources=[ResourceSpec(5, 5, energy=2)]))
    components, _ = checked_step(state, 0)
    assert components["resource_holding"] == pytest.approx(0.03)  # the energy on the exit is not collected


@pytest.mark.parametrize("stage", [1, 5, 8])
def test_death_penalty_per_stage(stage):
    state = build_state(Scenario(PlayerSpec(2, 2, hp=1, energy=1), owned_programs=["WAIT"], stage=stage,
                                 enemies=[EnemySpec("daemon", 1, 2, 3)]))  # fmt: skip
    components, done = checked_step(state, ACTION["WAIT"])
    assert done and components["death_penalty"] == pytest.approx(-0.5 * sum(STAGE_COMPLETION_VALUES[: stage - 1]))


@pytest.mark.parametrize("bystander_cell, penalty", [((2, 3), -10.0), ((3, 3), 0.0)], ids=["adjacent", "diagonal"])
def test_siphon_death_penalty_looks_at_every_adjacent_enemy_in_any_state(bystander_cell, penalty):
    state = build_state(Scenario(PlayerSpec(2, 2, hp=1, energy=1), owned_programs=["WAIT"],
                                 enemies=[EnemySpec("glitch", 1, 2, 2),
                                          EnemySpec("daemon", *bystander_cell, 3, stunned=True, from_siphon=True)]))
    components, done = checked_step(state, ACTION["WAIT"])
    assert done and components["siphon_death_penalty"] == penalty


def test_a_siphon_enemy_kept_away_from_the_player_gives_no_siphon_death_penalty():
    # Two regular daemons take the only two cells next to the player and kill it; the siphon-spawned virus cannot
    # become adjacent.
    state = build_state(Scenario(PlayerSpec(0, 0, hp=2, energy=1), owned_programs=["WAIT"],
                                 blocks=[BlockSpec(0, 2, "data"), BlockSpec(1, 1, "data"), BlockSpec(2, 0, "data")],
                                 enemies=[EnemySpec("daemon", 1, 0, 3), EnemySpec("daemon", 0, 1, 3),
                                          EnemySpec("virus", 0, 3, 2, from_siphon=True)]))  # fmt: skip
    components, done = checked_step(state, ACTION["WAIT"])
    assert done and components["siphon_death_penalty"] == 0.0 and components["death_penalty"] == 0.0


def test_distance_shaping_uses_the_board_before_and_after_a_crash():
    state = build_state(Scenario(PlayerSpec(3, 5, credits=3, energy=2), blocks=[BlockSpec(4, 5, "data", points=1)],
                                 owned_programs=["CRASH"]))  # fmt: skip
    components, _ = checked_step(state, ACTION["CRASH"])
    assert components["distance_shaping"] == pytest.approx(0.1)


def test_distance_shaping_is_zero_when_the_exit_is_unreachable():
    state = build_state(Scenario(PlayerSpec(3, 4), blocks=[BlockSpec(4, 5, "data"), BlockSpec(5, 4, "data")]))
    components, _ = checked_step(state, 3)
    assert components["distance_shaping"] == 0.0


def test_distance_counts_the_exit_cell_even_when_a_block_stands_on_it():
    """§7: the exit cell may be entered even if it holds a block (possible after UNDO; built here by hand)."""
    state = build_state(Scenario(PlayerSpec(5, 3), blocks=[BlockSpec(4, 4, "data", points=1)]))
    board = state.board
    board = board._replace(content=board.content.at[5, 5].set(C.CONTENT_BLOCK),
                           block_kind=board.block_kind.at[5, 5].set(C.BLOCK_DATA),
                           points=board.points.at[5, 5].set(3))  # fmt: skip
    components, _ = checked_step(state._replace(board=board), 3)
    assert components["distance_shaping"] == pytest.approx(0.05)


def test_distance_shaping_is_zero_on_death():
    state = build_state(Scenario(PlayerSpec(3, 3, hp=1), enemies=[EnemySpec("daemon", 4, 4, 3)]))
    components, done = checked_step(state, 3)
    assert done and components["distance_shaping"] == 0.0


def test_warp_onto_the_exit_pays_the_whole_start_distance():
    state = build_state(Scenario(PlayerSpec(0, 0, credits=2, energy=2), enemies=[EnemySpec("virus", 5, 5, 2)],
                                 owned_programs=["WARP"]))  # fmt: skip
    components, done = checked_step(state, ACTION["WARP"])
    assert not done and components["distance_shaping"] == pytest.approx(0.5)
    assert components["kills"] == pytest.approx(0.3)


def test_warp_victory():
    state = build_state(Scenario(PlayerSpec(0, 0, credits=2, energy=4, score=3), stage=8, owned_programs=["WARP"],
                                 transmissions=[TransmissionSpec(5, 5, 3, "glitch")]))  # fmt: skip
    components, done = checked_step(state, ACTION["WARP"])
    assert done and components["victory"] == pytest.approx(800.0)


@pytest.mark.parametrize("first_scheduled, kills", [(True, 0), (False, 1)])
def test_crash_counts_one_kill_per_cell_by_its_first_enemy(first_scheduled, kills):
    state = build_state(Scenario(PlayerSpec(2, 2, credits=3, energy=2), owned_programs=["CRASH"],
                                 enemies=[EnemySpec("daemon", 3, 3, 3, from_scheduled=first_scheduled),
                                          EnemySpec("virus", 3, 3, 2)]))  # fmt: skip
    components, _ = checked_step(state, ACTION["CRASH"])
    assert components["kills"] == pytest.approx(0.3 * kills)


@pytest.mark.parametrize("program", ["ROW", "COL", "DEBUG", "HACK", "ANTI-V"])
def test_damage_programs_count_their_kills(program):
    state = build_state(Scenario(PlayerSpec(2, 2, credits=5, energy=5), owned_programs=[program],
                                 blocks=[BlockSpec(2, 4, "data", siphoned=True), BlockSpec(4, 2, "data")],
                                 enemies=[EnemySpec("virus", 2, 4, 1), EnemySpec("virus", 4, 2, 1),
                                          EnemySpec("virus", 0, 0, 1, from_scheduled=True),
                                          EnemySpec("daemon", 5, 5, 3)]))  # fmt: skip
    components, _ = checked_step(state, ACTION[program])
    assert components["kills"] > 0


@pytest.mark.parametrize("owned", [[], ["DEBUG"]], ids=["unowned", "owned"])
def test_siphon_quality_with_a_program_block(owned):
    # Unowned: the candidates must cover the DEBUG block, and (2, 4) yields more credits. Owned: the yield holds no
    # program, so every free position is a candidate, (2, 4) among them.
    state = build_state(Scenario(PlayerSpec(2, 2, data_siphons=1), owned_programs=owned,
                                 blocks=[BlockSpec(2, 3, "program", program="DEBUG", spawn_count=4)],
                                 resources=[ResourceSpec(2, 1, credits=1), ResourceSpec(2, 5, credits=2),
                                            ResourceSpec(0, 0, energy=3)]))  # fmt: skip
    components, _ = checked_step(state, ACTION_SIPHON)
    assert components["siphon_quality"] < 0


def test_siphon_quality_ignores_resources_under_blocks_and_siphoned_cells():
    state = build_state(Scenario(PlayerSpec(2, 2, data_siphons=1),
                                 blocks=[BlockSpec(3, 2, "data", points=5), BlockSpec(1, 2, "data", points=1),
                                         BlockSpec(3, 4, "data", points=2, siphoned=True)],
                                 resources=[ResourceSpec(1, 2, credits=3), ResourceSpec(3, 4, energy=3),
                                            ResourceSpec(2, 3, credits=1)]))  # fmt: skip
    components, _ = checked_step(state, ACTION_SIPHON)
    assert components["siphon_quality"] == 0.0


def test_a_second_siphon_on_the_same_cross_has_only_resources_to_compare():
    state = build_state(Scenario(PlayerSpec(2, 2, data_siphons=2, credits=0),
                                 blocks=[BlockSpec(2, 3, "data", points=3, spawn_count=0)],
                                 resources=[ResourceSpec(0, 0, credits=2)]))  # fmt: skip
    episode = ReferenceEpisode(state)
    episode.step(ACTION_SIPHON)
    components, _ = episode.step(ACTION_SIPHON)
    assert components["siphon_quality"] == pytest.approx(-0.5 * 0.05 * 2)


def with_question_block(state, row: int, col: int):
    """Turn a scenario's block into a question block hiding the same content (scenarios cannot say so; setup only)."""
    board = state.board
    return state._replace(board=board._replace(question=board.question.at[row, col].set(True)))


@pytest.mark.parametrize("owned", [[], ["PUSH"]], ids=["unowned", "owned"])
def test_siphon_quality_sees_the_hidden_content_of_question_blocks(owned):
    state = build_state(Scenario(PlayerSpec(2, 2, data_siphons=1), owned_programs=owned,
                                 blocks=[BlockSpec(2, 3, "program", program="PUSH", spawn_count=4)],
                                 resources=[ResourceSpec(2, 5, credits=2), ResourceSpec(5, 0, energy=1)]))  # fmt: skip
    components, _ = checked_step(with_question_block(state, 2, 3), ACTION_SIPHON)
    assert components["siphon_quality"] < 0


def test_siphon_quality_standing_on_a_block_compares_every_free_position():
    """The player stands on a block (as after WARP): its yield is empty, so any position with resources is better."""
    state = build_state(Scenario(PlayerSpec(2, 2, data_siphons=1), blocks=[BlockSpec(2, 2, "data", points=6)],
                                 resources=[ResourceSpec(0, 0, energy=2), ResourceSpec(0, 5, credits=1)]))  # fmt: skip
    components, _ = checked_step(state, ACTION_SIPHON)
    assert components["siphon_quality"] == pytest.approx(-0.5 * 0.05 * 3)
    assert components["score_gain"] == pytest.approx(3.0)


@pytest.mark.parametrize("scheduled", [False, True])
def test_the_line_of_fire_hits_the_transmission_before_the_enemy_on_its_cell(scheduled):
    state = build_state(Scenario(PlayerSpec(0, 0), enemies=[EnemySpec("daemon", 0, 3, 1)],
                                 transmissions=[TransmissionSpec(0, 3, 2, "virus")]))  # fmt: skip
    if scheduled:
        state = scheduled_transmission_at(state, 0)
    components, _ = checked_step(state, 3)
    assert components["kills"] == pytest.approx(0.0 if scheduled else 0.3)


def test_the_line_of_fire_starts_next_to_the_player():
    state = build_state(Scenario(PlayerSpec(0, 0), enemies=[EnemySpec("virus", 0, 0, 1), EnemySpec("glitch", 0, 4, 1)]))
    components, _ = checked_step(state, 3)
    assert components["kills"] == pytest.approx(0.3)


# ---------------------------------------------------------------------------------------------------------------
# Observation and mask scenarios
# ---------------------------------------------------------------------------------------------------------------


def test_appendix_example_18_encoding():
    state = build_state(Scenario(PlayerSpec(1, 1, credits=75, energy=20, data_siphons=2, attack_damage=2), stage=3,
                                 blocks=[BlockSpec(4, 3, "program", program="CALM", spawn_count=6)],
                                 enemies=[EnemySpec("cryptog", 3, 4, 2), EnemySpec("cryptog", 1, 4, 1, stunned=True)],
                                 resources=[ResourceSpec(0, 5, energy=2)],
                                 transmissions=[TransmissionSpec(2, 1, 6, "virus")]))  # fmt: skip
    expected = reference_observation(describe(state))
    assert expected.grid[4, 3, 8] == 1 and expected.grid[4, 3, 27] == 1
    assert expected.grid[4, 3, 35] == pytest.approx(6 / 9) and not expected.grid[3, 4, :7].any()
    assert list(expected.grid[1, 4, 3:6]) == pytest.approx([1, 1 / 3, 1])
    assert expected.grid[2, 1, 36] == 1 and list(expected.player[3:8]) == pytest.approx([1.0, 0.4, 2 / 7, 0.2, 0.5])
    assert_observation_matches(OBSERVE(state), describe(state))


def test_appendix_example_19_mask():
    state = build_state(Scenario(PlayerSpec(2, 2), blocks=[BlockSpec(3, 2, "data"), BlockSpec(2, 1, "data")],
                                 enemies=[EnemySpec("glitch", 3, 2, 2), EnemySpec("daemon", 2, 5, 3)]))  # fmt: skip
    assert reference_action_mask(describe(state))[:5] == [True, True, False, True, False]
    assert_observation_matches(OBSERVE(state), describe(state))


OBSERVATION_SCENARIOS = {
    "stacked enemies, hidden cryptog first": Scenario(
        PlayerSpec(0, 0), enemies=[EnemySpec("cryptog", 3, 3, 2), EnemySpec("daemon", 3, 3, 3, from_siphon=True),
                                   EnemySpec("virus", 4, 4, 1, stunned=True, from_siphon=True)]),
    "show reveals cryptogs": Scenario(
        PlayerSpec(0, 0), show=True, calm=True, enemies=[EnemySpec("cryptog", 3, 3, 2, from_siphon=True)]),
    "blocks and resources": Scenario(
        PlayerSpec(2, 2, hp=1, data_siphons=13, attack_damage=6),
        blocks=[BlockSpec(0, 1, "data", points=7, spawn_count=7), BlockSpec(0, 2, "data", points=4, siphoned=True),
                BlockSpec(1, 0, "program", program="HACK", spawn_count=4, siphoned=True),
                BlockSpec(5, 5, "data", points=3)],
        resources=[ResourceSpec(0, 1, credits=3), ResourceSpec(0, 2, energy=2), ResourceSpec(1, 0, credits=1),
                   ResourceSpec(5, 5, energy=1), ResourceSpec(4, 0, data_siphon=True), ResourceSpec(3, 3, credits=2)],
        transmissions=[TransmissionSpec(5, 0, 2, "virus"), TransmissionSpec(0, 5, 9, "daemon")],
        owned_programs=["HACK", "WAIT", "ATK+"]),
    "every program owned and applicable": Scenario(
        PlayerSpec(2, 2, hp=2, credits=30, energy=30), owned_programs=list(PROGRAM_NAMES), stage=7,
        blocks=[BlockSpec(3, 3, "data", points=2, spawn_count=2), BlockSpec(4, 4, "data", siphoned=True)],
        enemies=[EnemySpec("daemon", 2, 5, 3), EnemySpec("virus", 0, 2, 2), EnemySpec("glitch", 3, 3, 1)],
        transmissions=[TransmissionSpec(1, 1, 1, "glitch")]),
    "every program owned, little applicable": Scenario(
        PlayerSpec(0, 0, credits=3, energy=3), owned_programs=list(PROGRAM_NAMES), stage=8, show=True, calm=True),
}  # fmt: skip


@pytest.mark.parametrize("scenario", OBSERVATION_SCENARIOS.values(), ids=OBSERVATION_SCENARIOS.keys())
def test_observation_and_mask_of_scenarios(scenario):
    state = build_state(scenario)
    assert_observation_matches(OBSERVE(state), describe(state))


def test_siphon_centre_siphoned_flags_and_resolved_question_blocks_are_encoded_after_a_siphon():
    state = build_state(Scenario(PlayerSpec(2, 2, data_siphons=1),
                                 blocks=[BlockSpec(3, 2, "data", points=4, spawn_count=4),
                                         BlockSpec(2, 3, "program", program="SHOW", spawn_count=2)],
                                 resources=[ResourceSpec(2, 1, credits=2), ResourceSpec(1, 2, energy=1)]))  # fmt: skip
    episode = ReferenceEpisode(with_question_block(state, 3, 2))
    assert episode.view["blocks"][1]["question"]
    episode.step(ACTION_SIPHON)
    assert not any(b["question"] for b in episode.view["blocks"]) and episode.view["siphon_centers"] == [(2, 2)]


def test_victory_observation_shows_stage_nine():
    state = build_state(Scenario(PlayerSpec(4, 5), stage=8))
    episode = ReferenceEpisode(state)
    _, done = episode.step(0)
    assert done and episode.view["stage"] == 9


INVALID = {
    "move into a plain block": (Scenario(PlayerSpec(2, 2), blocks=[BlockSpec(3, 2, "data")]), 0),
    "move off the board": (Scenario(PlayerSpec(0, 2)), 1),
    "siphon without siphons": (Scenario(PlayerSpec(2, 2)), ACTION_SIPHON),
    "program not owned": (Scenario(PlayerSpec(2, 2, energy=5)), ACTION["WAIT"]),
    "program too expensive": (Scenario(PlayerSpec(2, 2, credits=4), owned_programs=["SIPH+"]), ACTION["SIPH+"]),
    "program not applicable": (Scenario(PlayerSpec(2, 2, energy=5), owned_programs=["PUSH"]), ACTION["PUSH"]),
    "undo with an empty history": (Scenario(PlayerSpec(2, 2, credits=5), owned_programs=["UNDO"]), ACTION["UNDO"]),
    "reset at full hp": (Scenario(PlayerSpec(2, 2, energy=5), owned_programs=["RESET"]), ACTION["RESET"]),
    "walled in, the whole mask false": (
        Scenario(PlayerSpec(0, 0), blocks=[BlockSpec(1, 0, "data"), BlockSpec(0, 1, "data")]), 0),
}


@pytest.mark.parametrize("scenario, action", INVALID.values(), ids=INVALID.keys())
def test_invalid_actions_change_nothing_pay_nothing_and_end_the_episode(scenario, action):
    state = build_state(scenario)
    components, done = checked_step(state, action)
    assert done and not any(components.values())
