"""Differential test of the enemy phase (rules §5.2-§5.6) against a plain-Python reference read from the rules alone.

Every scenario is driven through the public env with WAIT (action 10, §4.3): it costs 1 energy, has no board effect
and ends the turn, so one env step is "energy - 1, then one enemy phase". The reference works on ``describe(state)``.

The only randomness of an enemy phase is the processing order of each sub-step (§11) and the cells/types of placed
transmissions (§5.6). The reference enumerates every processing order and returns the SET of states the rules
allow; the game's result must be one of them. Placed transmissions are checked as wildcards: each must lie on a cell
that the placement procedure may choose, with countdown 1 and the caller's origin flags.
"""

from __future__ import annotations

import copy
import itertools
import json
import random

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game.scenario import (
    BlockSpec, EnemySpec, PlayerSpec, Scenario, TransmissionSpec, build_state, describe,
)  # fmt: skip
from rule_reference import (
    ACTION,
    CELLS,
    ENEMY_MAX_HP,
    ENEMY_TYPES,
    adjacent_cells,
    blocks_by_cell,
    cell_of,
    manhattan,
    player_cell,
    step_counts,
)
from test_game_support import step

STEPS_PER_PHASE = {"virus": 2, "daemon": 1, "glitch": 1, "cryptog": 1}  # §2.3


# ---------------------------------------------------------------------------------------------------------------------
# Reference: §5.3 enemy movement
# ---------------------------------------------------------------------------------------------------------------------


def movement_target(state, mover):
    """§5.3: the cell enemy ``mover`` (list index) moves to, or None when it stays."""
    enemy = state["enemies"][mover]
    here, player = cell_of(enemy), player_cell(state)
    is_glitch = enemy["kind"] == "glitch"
    blocks = blocks_by_cell(state)
    occupied = {cell_of(other) for i, other in enumerate(state["enemies"]) if i != mover}
    occupied |= {cell_of(transmission) for transmission in state["transmissions"]}
    occupied.discard(player)  # "the player's cell is never considered occupied"

    def enterable(cell, occupied_counts):
        return (is_glitch or cell not in blocks) and (occupied_counts or cell not in occupied)

    # Steps 1-2 over passable cells, then step 3 with occupied cells treated as passable.
    for occupied_counts in (False, True):
        counts = step_counts(player, lambda cell: enterable(cell, occupied_counts))
        reachable = [cell for cell in adjacent_cells(here) if enterable(cell, occupied_counts) and cell in counts]
        if reachable:
            best = min(reachable, key=lambda cell: counts[cell])  # min keeps the first in canonical order on ties
            if best not in occupied:
                return best
            break  # step 3 found an occupied cell: go to the fallback
    # Step 4: the free adjacent cell nearest to the player by Manhattan distance.
    free = [cell for cell in adjacent_cells(here) if enterable(cell, False)]
    return min(free, key=lambda cell: manhattan(cell, player)) if free else None


# ---------------------------------------------------------------------------------------------------------------------
# Reference: §5.2 enemy phase
# ---------------------------------------------------------------------------------------------------------------------


def mature_transmissions(state):
    """§5.2 step 3: countdown <= 1 becomes an enemy (disabled 1, full hp, origin copied), appended in list order."""
    kept = []
    for transmission in state["transmissions"]:
        if transmission["countdown"] <= 1:
            state["enemies"].append(dict(
                kind=transmission["kind"], row=transmission["row"], col=transmission["col"],
                hp=ENEMY_MAX_HP[transmission["kind"]], disabled_turns=1, stunned=False,
                from_siphon=transmission["from_siphon"], from_scheduled=transmission["from_scheduled"],
            ))  # fmt: skip
        else:
            kept.append(dict(transmission, countdown=transmission["countdown"] - 1))
    state["transmissions"] = kept


def can_act(state, attacked, index, sub_step):
    """§5.2 step 4: disabled, stunned, already-attacked enemies and those with too few steps do nothing."""
    enemy = state["enemies"][index]
    return (
        enemy["disabled_turns"] == 0 and not enemy["stunned"] and index not in attacked
        and STEPS_PER_PHASE[enemy["kind"]] > sub_step
    )  # fmt: skip


def act(state, attacked, index):
    """§5.2 step 4: attack when adjacent to the player (1 damage, not below 0), else move by §5.3."""
    enemy = state["enemies"][index]
    if manhattan(cell_of(enemy), player_cell(state)) == 1:
        state["player"]["hp"] = max(0, state["player"]["hp"] - 1)
        attacked.add(index)
        return
    target = movement_target(state, index)
    if target is not None:
        enemy["row"], enemy["col"] = target


def freeze(value):
    return json.dumps(value, sort_keys=True)


def all_enemy_action_outcomes(state):
    """§5.2 step 4 over every processing order of every sub-step: the distinct (state, attacked) outcomes.

    Enemies that cannot act in a sub-step do nothing whatever their position in the permutation, so only the
    orders of the acting ones are enumerated."""
    sub_steps = 2 if any(enemy["kind"] == "virus" for enemy in state["enemies"]) else 1
    outcomes = {freeze((state, [])): (state, frozenset())}
    for sub_step in range(sub_steps):
        next_outcomes = {}
        for before, attacked_before in outcomes.values():
            acting = [i for i in range(len(before["enemies"])) if can_act(before, attacked_before, i, sub_step)]
            for order in itertools.permutations(acting):
                after, attacked = copy.deepcopy(before), set(attacked_before)
                for index in order:
                    act(after, attacked, index)
                next_outcomes[freeze((after, sorted(attacked)))] = (after, frozenset(attacked))
        outcomes = next_outcomes
    return [after for after, _ in outcomes.values()]


def scheduled_task(state, placements):
    """§5.5 step 3: with calm off and turn >= sched_next, one from_scheduled transmission; sched_next advances."""
    if not state["calm"] and state["turn"] >= state["sched_next"]:
        placements.append(dict(from_scheduled=True, from_siphon=False))
        state["sched_next"] = state["turn"] + state["sched_interval"]


def siphon_transmissions(state, placements):
    """§5.2 step 6: pending_siphon transmissions with from_siphon, then pending_siphon = 0."""
    placements.extend(dict(from_scheduled=False, from_siphon=True) for _ in range(state["pending_siphon"]))
    state["pending_siphon"] = 0


def status_reset(state):
    """§5.2 step 7: disabled_turns decrements (not below 0), every stun is cleared."""
    for enemy in state["enemies"]:
        enemy["disabled_turns"] = max(0, enemy["disabled_turns"] - 1)
        enemy["stunned"] = False


def enemy_phase(state):
    """§5.2 (with §5.4 STEP): the list of (allowed state, owed placements) pairs."""
    if state["step"]:  # step 1: skip everything else, stuns and counters included (§5.4)
        return [(dict(state, step=False), [])]
    state = copy.deepcopy(state)
    state["turn"] += 1  # step 2
    mature_transmissions(state)  # step 3
    results = []
    for after in all_enemy_action_outcomes(state):  # step 4
        placements = []
        scheduled_task(after, placements)  # step 5
        siphon_transmissions(after, placements)  # step 6
        status_reset(after)  # step 7
        after["history_count"] += 1  # step 8 (the scenarios start far below the history capacity)
        results.append((after, placements))
    return results


def wait_step(state):
    """§4.3 WAIT then §5.1 step 5: pay 1 energy, run the enemy phase (on a state without reward totals)."""
    state = copy.deepcopy(state)
    state["player"]["energy"] -= 1
    return enemy_phase(state)


# ---------------------------------------------------------------------------------------------------------------------
# Reference: §5.6 transmission placement, checked as a wildcard
# ---------------------------------------------------------------------------------------------------------------------


def free_cells(state):
    """§5.6: on the board, not the player's cell, no enemy, no transmission, no block."""
    taken = {player_cell(state)} | set(blocks_by_cell(state))
    taken |= {cell_of(entity) for entity in state["enemies"] + state["transmissions"]}
    return set(CELLS) - taken


def in_line_of_fire(state, cell):
    """§5.6: in the player's row or column with no enemy and no block strictly between (transmissions don't shield)."""
    player = player_cell(state)
    if cell == player or (cell[0] != player[0] and cell[1] != player[1]):
        return False
    shields = set(blocks_by_cell(state)) | {cell_of(enemy) for enemy in state["enemies"]}
    dr, dc = np.sign(cell[0] - player[0]), np.sign(cell[1] - player[1])
    between = [(player[0] + dr * i, player[1] + dc * i) for i in range(1, manhattan(cell, player))]
    return not any(b in shields for b in between)


# With at least this many free cells out of the line of fire, 100 draws all miss them with probability < 1e-6.
SURE_OUT_OF_LINE = 6


def placement_problems(expected, placements, actual):
    """Why ``actual`` is not ``expected`` plus the owed placements (empty list when it is)."""
    problems = []
    known = len(expected["transmissions"])
    if actual["transmissions"][:known] != expected["transmissions"]:
        problems.append("existing transmissions differ")
    placed = actual["transmissions"][known:]
    if len(placed) != len(placements):
        return problems + [f"{len(placed)} placed, {len(placements)} owed"]
    board = copy.deepcopy(expected)
    for transmission, origin in zip(placed, placements):
        cell = cell_of(transmission)
        free = free_cells(board)
        out_of_line = {c for c in free if not in_line_of_fire(board, c)}
        if cell not in free:
            problems.append(f"placed on non-free cell {cell}")
        elif len(out_of_line) >= SURE_OUT_OF_LINE and cell not in out_of_line:
            problems.append(f"placed in the line of fire at {cell}")
        if transmission["countdown"] != 1 or transmission["kind"] not in ENEMY_TYPES:
            problems.append(f"bad countdown/kind {transmission}")
        if {k: transmission[k] for k in origin} != origin:
            problems.append(f"origin {transmission} != {origin}")
        board["transmissions"].append(transmission)
    return problems


def without_transmissions(state):
    return {key: value for key, value in state.items() if key != "transmissions"}


def matches(expected, placements, actual):
    """``actual`` equals ``expected`` except for the owed placements, which must be legal (§5.6)."""
    same_rest = without_transmissions(expected) == without_transmissions(actual)
    return same_rest and not placement_problems(expected, placements, actual)


# ---------------------------------------------------------------------------------------------------------------------
# Driving the game
# ---------------------------------------------------------------------------------------------------------------------


def normalized(state_dict):
    """``describe`` output as JSON-like values (tuples become lists), without the reward totals."""
    plain = json.loads(json.dumps(state_dict))
    plain.pop("reward_totals", None)
    return plain


def scenario_state(
    scenario, *, disabled=(), sched_next=None, sched_interval=None, pending_siphon=None, step_flag=False
):
    """``build_state`` plus the fields a scenario cannot set: disabled enemies (list indices), schedule, pending
    siphon transmissions, the STEP flag."""
    state = build_state(scenario)
    if disabled:
        flags = np.zeros(state.enemies.disabled.shape, state.enemies.disabled.dtype)
        flags[list(disabled)] = 1  # build_state puts enemy i of the list in slot i
        state = state._replace(enemies=state.enemies._replace(disabled=jnp.asarray(flags)))
    for field, value in (("sched_next", sched_next), ("sched_interval", sched_interval),
                         ("pending_siphon", pending_siphon)):  # fmt: skip
        if value is not None:
            state = state._replace(**{field: jnp.full_like(getattr(state, field), value)})
    if step_flag:
        state = state._replace(step_pending=jnp.full_like(state.step_pending, True))
    return state


def run_wait(state, seed=0):
    after, _, _, done, _ = step(state, ACTION["WAIT"], jax.random.key(seed))
    result = normalized(describe(after))
    assert done == (result["player"]["hp"] == 0)
    return result


def allowed_outcomes(state):
    return [(normalized(expected), placements) for expected, placements in wait_step(normalized(describe(state)))]


def assert_allowed(state, seeds=(0,)):
    """The game's result for each seed is one of the states the rules allow; returns the reference outcomes."""
    allowed = allowed_outcomes(state)
    for seed in seeds:
        actual = run_wait(state, seed)
        if not any(matches(expected, placements, actual) for expected, placements in allowed):
            closest = min(allowed, key=lambda pair: len(diff(pair[0], actual)))[0]
            pytest.fail(f"seed {seed}: game result not allowed by the rules; differences to the closest allowed "
                        f"state:\n{diff(closest, actual)}\n(allowed outcomes: {len(allowed)})")
    return allowed


def diff(expected, actual):
    keys = set(expected) | set(actual)
    return {key: (expected.get(key), actual.get(key)) for key in keys if expected.get(key) != actual.get(key)}


def enemy_cells(state_dict):
    return [(e["kind"], e["row"], e["col"]) for e in state_dict["enemies"]]


def only_outcome(state):
    """Scenarios where the order cannot matter: the reference allows exactly one state and the game returns it."""
    allowed = assert_allowed(state, seeds=(0, 1))
    assert len(allowed) == 1
    return allowed[0][0]


def scenario(player, *, hp=3, **fields):
    """A scenario whose player can WAIT once (owns it, energy 1)."""
    return Scenario(player=PlayerSpec(*player, hp=hp, energy=1), owned_programs=["WAIT"], **fields)


# ---------------------------------------------------------------------------------------------------------------------
# Hand-picked scenarios (deterministic: the reference allows exactly one state)
# ---------------------------------------------------------------------------------------------------------------------


def test_appendix_example_2_tie_break_goes_up():
    state = scenario_state(scenario((2, 2), enemies=[EnemySpec("daemon", 2, 5, 3)],
                                    blocks=[BlockSpec(2, 3, "data", points=1, spawn_count=1)]))  # fmt: skip
    assert enemy_cells(only_outcome(state)) == [("daemon", 3, 5)]


def test_appendix_example_3_virus_moves_then_attacks():
    result = only_outcome(scenario_state(scenario((0, 3), enemies=[EnemySpec("virus", 2, 3, 2)])))
    assert enemy_cells(result) == [("virus", 1, 3)] and result["player"]["hp"] == 2


def test_appendix_example_17_fallback_moves_away():
    state = scenario_state(scenario((0, 0), enemies=[EnemySpec("daemon", 1, 1, 3)], transmissions=[
        TransmissionSpec(1, 0, 2, "virus"), TransmissionSpec(0, 1, 2, "virus")]))  # fmt: skip
    assert enemy_cells(only_outcome(state)) == [("daemon", 2, 1)]


@pytest.mark.parametrize("kind", ENEMY_TYPES)
def test_steps_per_phase_by_type(kind):
    result = only_outcome(scenario_state(scenario((0, 0), enemies=[EnemySpec(kind, 5, 0, 2)])))
    assert enemy_cells(result) == [(kind, 5 - STEPS_PER_PHASE[kind], 0)]


@pytest.mark.parametrize("kind", ENEMY_TYPES)
def test_blocks_stop_all_but_glitches(kind):
    # A wall in row 2 with a gap at (2, 5): non-glitches go around, the glitch goes straight through.
    blocks = [BlockSpec(2, c, "data") for c in range(5)]
    result = only_outcome(scenario_state(scenario((0, 0), enemies=[EnemySpec(kind, 3, 0, 2)], blocks=blocks)))
    assert enemy_cells(result)[0][1:] == ((2, 0) if kind == "glitch" else (3, STEPS_PER_PHASE[kind]))


def test_player_on_a_block_sends_non_glitches_to_the_fallback():
    # The daemon's shortest route would start left (4, 1); the Manhattan fallback ties up/left/right and goes up.
    blocks = [BlockSpec(2, 2, "data"), BlockSpec(3, 2, "data")]
    enemies = [EnemySpec("daemon", 4, 2, 3), EnemySpec("glitch", 2, 4, 2)]
    result = only_outcome(scenario_state(scenario((2, 2), enemies=enemies, blocks=blocks)))
    assert enemy_cells(result) == [("daemon", 5, 2), ("glitch", 2, 3)]


def test_step_3_hit_on_an_occupied_cell_goes_to_the_manhattan_fallback():
    # The player is walled in by transmissions, so step 2 finds nothing; step 3's best step (1, 2) holds a
    # transmission. The fallback then takes left (2, 1) by Manhattan distance, not step 3's runner-up (up, 5 steps).
    transmissions = [TransmissionSpec(1, 0, 3, "virus"), TransmissionSpec(0, 1, 3, "virus"),
                     TransmissionSpec(1, 2, 3, "virus")]  # fmt: skip
    blocks = [BlockSpec(1, 1, "data"), BlockSpec(2, 0, "data")]
    state = scenario_state(scenario((0, 0), enemies=[EnemySpec("daemon", 2, 2, 3)], transmissions=transmissions,
                                    blocks=blocks))  # fmt: skip
    assert enemy_cells(only_outcome(state)) == [("daemon", 2, 1)]


def test_enemy_on_the_players_cell_moves_to_the_first_free_neighbour():
    enemies = [EnemySpec("daemon", 2, 2, 3), EnemySpec("cryptog", 5, 5, 2)]
    state = scenario_state(scenario((2, 2), enemies=enemies, transmissions=[TransmissionSpec(3, 2, 4, "virus")]))
    result = only_outcome(state)
    assert enemy_cells(result)[0] == ("daemon", 1, 2) and result["player"]["hp"] == 3


def test_stunned_and_disabled_enemies_do_nothing_then_recover():
    enemies = [EnemySpec("virus", 0, 1, 2, stunned=True), EnemySpec("daemon", 1, 0, 3), EnemySpec("glitch", 4, 4, 2)]
    result = only_outcome(scenario_state(scenario((0, 0), enemies=enemies), disabled=[1]))
    assert enemy_cells(result) == [("virus", 0, 1), ("daemon", 1, 0), ("glitch", 3, 4)]
    assert result["player"]["hp"] == 3
    assert [(e["stunned"], e["disabled_turns"]) for e in result["enemies"]] == [(False, 0)] * 3


def test_maturing_transmissions_appear_disabled_and_do_not_act():
    transmissions = [TransmissionSpec(0, 1, 1, "virus"), TransmissionSpec(3, 3, 3, "daemon"),
                     TransmissionSpec(1, 0, 1, "glitch")]  # fmt: skip
    result = only_outcome(scenario_state(scenario((0, 0), transmissions=transmissions)))
    assert enemy_cells(result) == [("virus", 0, 1), ("glitch", 1, 0)]
    assert result["player"]["hp"] == 3
    assert [(t["row"], t["col"], t["countdown"]) for t in result["transmissions"]] == [(3, 3, 2)]


def test_stacked_enemies_both_act():
    enemies = [EnemySpec("daemon", 3, 0, 3), EnemySpec("daemon", 3, 0, 3), EnemySpec("cryptog", 1, 0, 1)]
    assert_allowed(scenario_state(scenario((0, 0), enemies=enemies)), seeds=range(6))


def test_attacks_stop_at_zero_hp_and_processing_continues():
    enemies = [EnemySpec("virus", 0, 1, 2), EnemySpec("daemon", 1, 0, 3), EnemySpec("glitch", 2, 1, 2),
               EnemySpec("cryptog", 4, 4, 2)]  # fmt: skip
    state = scenario_state(scenario((0, 0), hp=1, enemies=enemies))
    allowed = assert_allowed(state, seeds=range(4))
    assert {expected["player"]["hp"] for expected, _ in allowed} == {0}
    assert all(enemy_cells(expected)[3] == ("cryptog", 3, 4) for expected, _ in allowed)


def test_step_flag_skips_the_whole_phase():
    enemies = [EnemySpec("daemon", 3, 5, 3, stunned=True), EnemySpec("virus", 0, 1, 2)]
    state = scenario_state(scenario((0, 0), enemies=enemies, transmissions=[TransmissionSpec(4, 4, 1, "glitch")],
                                    turn=12), pending_siphon=2, step_flag=True)  # fmt: skip
    result = only_outcome(state)
    assert result["turn"] == 12 and result["enemies"][0]["stunned"] and not result["step"]


def test_calm_suppresses_the_due_scheduled_task_and_show_changes_nothing():
    state = scenario_state(scenario((0, 0), enemies=[EnemySpec("cryptog", 4, 4, 2)], turn=20, calm=True, show=True))
    result = only_outcome(state)
    assert result["sched_next"] == 12 and result["transmissions"] == []


@pytest.mark.parametrize(("turn", "sched_next_after"), [(11, 24), (20, 33)])
def test_scheduled_task_fires_once_due(turn, sched_next_after):
    enemies = [EnemySpec("daemon", 3, 3, 3)]
    state = scenario_state(scenario((0, 0), enemies=enemies, turn=turn))
    allowed = assert_allowed(state, seeds=range(5))
    assert [(expected["sched_next"], placements) for expected, placements in allowed] == [
        (sched_next_after, [dict(from_scheduled=True, from_siphon=False)])]


def test_pending_siphon_transmissions_are_placed_after_the_enemies_act():
    enemies = [EnemySpec("virus", 4, 1, 2), EnemySpec("glitch", 1, 4, 2)]
    state = scenario_state(scenario((0, 0), enemies=enemies, blocks=[BlockSpec(2, 2, "data")]), pending_siphon=3)
    allowed = assert_allowed(state, seeds=range(5))
    assert all(expected["pending_siphon"] == 0 and len(placements) == 3 for expected, placements in allowed)


def test_racing_enemies_are_processed_in_every_order():
    # Both daemons' best step is (1, 1) (down for the first, left for the second, whose down is blocked): whichever
    # goes first takes it, the other then picks another cell.
    enemies = [EnemySpec("daemon", 2, 1, 3), EnemySpec("daemon", 1, 2, 3)]
    state = scenario_state(scenario((0, 0), enemies=enemies, blocks=[BlockSpec(0, 2, "data")]))
    allowed = assert_allowed(state)
    assert len(allowed) == 2
    seen = {freeze(enemy_cells(run_wait(state, seed))) for seed in range(24)}
    assert seen == {freeze(enemy_cells(expected)) for expected, _ in allowed}


# ---------------------------------------------------------------------------------------------------------------------
# Random scenarios
# ---------------------------------------------------------------------------------------------------------------------


def random_scenario(rng):
    """A crowded random board: up to 4 enemies (sometimes stacked, on blocks or on transmissions), up to 3
    transmissions, up to 9 blocks (rarely under the player), random stun/disabled flags; no placement is due unless
    ``pending`` or a due schedule is drawn."""
    cells = [cell for cell in CELLS if cell != (5, 5)]
    player = rng.choice(cells)
    others = [cell for cell in cells if cell != player]
    block_cells_drawn = rng.sample(others, rng.randint(0, 9))
    if rng.random() < 0.05:
        block_cells_drawn.append(player)
    blocks = [BlockSpec(*cell, "data", siphoned=rng.random() < 0.3) for cell in block_cells_drawn]
    free = [cell for cell in others if cell not in block_cells_drawn]
    enemies = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.08 and enemies:
            stacked_on = rng.choice(enemies)
            cell = stacked_on.row, stacked_on.col
        elif roll < 0.15 and block_cells_drawn:
            cell = rng.choice(block_cells_drawn)  # pushed onto a block
        elif roll < 0.17:
            cell = player
        else:
            cell = rng.choice(free)
        kind = rng.choice(ENEMY_TYPES)
        enemies.append(EnemySpec(kind, *cell, hp=rng.randint(1, ENEMY_MAX_HP[kind]), stunned=rng.random() < 0.2,
                                 from_siphon=rng.random() < 0.3, from_scheduled=rng.random() < 0.3))  # fmt: skip
    enemy_cells_drawn = {(e.row, e.col) for e in enemies}
    transmission_cells = rng.sample(free, rng.randint(0, 3))
    transmission_cells = [c for c in transmission_cells if c not in enemy_cells_drawn or rng.random() < 0.2]
    transmissions = [TransmissionSpec(*cell, rng.randint(1, 3), rng.choice(ENEMY_TYPES)) for cell in transmission_cells]
    turn = rng.randint(0, 30)
    due = rng.random() < 0.1
    return dict(
        scenario=scenario(player, hp=rng.randint(1, 3), enemies=enemies, blocks=blocks,
                          transmissions=transmissions, turn=turn, show=rng.random() < 0.3,
                          calm=rng.random() < 0.2),
        disabled=[i for i in range(len(enemies)) if rng.random() < 0.1],
        sched_next=turn + 1 - rng.randint(0, turn) if due else turn + 2 + rng.randint(0, 10),
        sched_interval=rng.randint(4, 12),
        pending_siphon=rng.choice((0, 0, 0, 0, 0, 1, 2)),
        step_flag=rng.random() < 0.05,
    )  # fmt: skip


@pytest.mark.parametrize("batch", range(4))
def test_random_scenarios_match_the_reference(batch):
    rng = random.Random(1000 + batch)
    ambiguous = 0
    for index in range(125):
        drawn = random_scenario(rng)
        state = scenario_state(drawn.pop("scenario"), **drawn)
        try:
            allowed = assert_allowed(state, seeds=(index,))
        except pytest.fail.Exception as failure:
            pytest.fail(f"batch {batch} scenario {index}: {describe(state)}\n{failure}")
        ambiguous += len(allowed) > 1
    assert ambiguous > 0  # the processing order mattered somewhere
