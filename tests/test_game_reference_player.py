"""Differential test of the action mask (spec §3) and the player's part of a turn (spec §4) against a plain-Python
reference written from the rule book alone (its parts shared with the other reference tests are in
``rule_reference``).

The reference works on the plain view ``describe(state)`` and predicts the view right after the player's action
(before any enemy phase or stage completion) plus the action's outcome (turn end, exit reached, kills, pickup,
siphon quality). It is compared with ``mask.action_mask`` and ``actions.apply_player_action`` on

* states reached by random valid play from several seeds (half of them given programs, credits and energy, so
  that programs, and UNDO with a real history, are played), and
* randomly generated scenarios that stress edge cases (stacked enemies, enemies on blocks, on the exit and on
  transmissions, edges and corners, question blocks, siphoned cells, low hp, every program owned...).

Every action the reference mask allows in a state is executed. Random effects (POLY's new types, WARP's target) are
checked against the set of outcomes the rules allow.
"""

from __future__ import annotations

import copy
import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.actions import apply_player_action
from hackmatrix.game.mask import action_mask
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
    ENEMY_MAX_HP,
    ENEMY_TYPES,
    FIRST_PROGRAM_ACTION,
    PROGRAM_COSTS,
    PROGRAM_NAMES,
    cell_of,
    line_of_fire_target,
    manhattan,
    missed_siphon_resources,
    on_board,
    reference_action_mask,
    siphon_cross,
    surrounding_cells,
)
from test_game_support import RESET, step


# --- the reference's world: the describe() view, keyed by cell ---------------------------------------------------


@dataclasses.dataclass
class World:
    player: dict
    enemies: list[dict]  # list order
    transmissions: list[dict]  # list order
    blocks: dict  # cell -> block dict (kind, points, spawn_count, program, question)
    resources: dict  # cell -> (credits, energy), only cells with an amount
    pickups: set
    exit_cells: set
    siphoned: set
    centers: set
    owned: set
    scalars: dict  # stage, turn, sched_*, pending_siphon, show, calm, step, atk_plus_uses, exit_position, ...

    def enemies_on(self, cell) -> list[dict]:
        return [e for e in self.enemies if cell_of(e) == cell]

    def transmissions_on(self, cell) -> list[dict]:
        return [t for t in self.transmissions if cell_of(t) == cell]


def world_of(view: dict) -> World:
    view = copy.deepcopy(view)
    blocks = {(b["row"], b["col"]): {k: v for k, v in b.items() if k not in ("row", "col", "siphoned")}
              for b in view["blocks"]}  # fmt: skip
    resources = {(r["row"], r["col"]): (r["credits"], r["energy"]) for r in view["resources"]
                 if r["credits"] or r["energy"]}  # fmt: skip
    list_keys = {"player", "enemies", "transmissions", "blocks", "resources", "pickups", "exit_cells",
                 "siphoned_cells", "siphon_centers", "owned_programs"}  # fmt: skip
    return World(
        player=view["player"], enemies=view["enemies"], transmissions=view["transmissions"], blocks=blocks,
        resources=resources, pickups=set(view["pickups"]), exit_cells=set(view["exit_cells"]),
        siphoned=set(view["siphoned_cells"]), centers=set(view["siphon_centers"]), owned=set(view["owned_programs"]),
        scalars={k: v for k, v in view.items() if k not in list_keys},
    )  # fmt: skip


def view_of(world: World) -> dict:
    blocks = [dict(row=r, col=c, kind=b["kind"], points=b["points"], spawn_count=b["spawn_count"],
                   siphoned=(r, c) in world.siphoned, program=b["program"], question=b["question"])
              for (r, c) in CELLS if (b := world.blocks.get((r, c))) is not None]  # fmt: skip
    resources = [dict(row=r, col=c, credits=world.resources.get((r, c), (0, 0))[0],
                      energy=world.resources.get((r, c), (0, 0))[1], data_siphon=(r, c) in world.pickups)
                 for (r, c) in CELLS if (r, c) in world.resources or (r, c) in world.pickups]  # fmt: skip
    return dict(
        player=dict(world.player), enemies=[dict(e) for e in world.enemies],
        transmissions=[dict(t) for t in world.transmissions], blocks=blocks, resources=resources,
        pickups=sorted(world.pickups), exit_cells=sorted(world.exit_cells), siphoned_cells=sorted(world.siphoned),
        siphon_centers=sorted(world.centers), owned_programs=[n for n in PROGRAM_NAMES if n in world.owned],
        **world.scalars,
    )  # fmt: skip


@dataclasses.dataclass
class Outcome:
    ends_turn: bool = False
    reached_exit: bool = False
    kills: int = 0
    pickup_collected: bool = False
    missed_credits: int = 0
    missed_energy: int = 0
    siphon_suboptimal: bool = False


# --- §4.1 direction actions --------------------------------------------------------------------------------------


def remove_enemy(w: World, enemy: dict, out: Outcome) -> None:
    """An enemy removed by the player's action: one kill unless from a scheduled task (§4.1.3, §7)."""
    w.enemies = [e for e in w.enemies if e is not enemy]
    out.kills += not enemy["from_scheduled"]


def direction_action(w: World, direction: int, out: Outcome) -> None:
    target = line_of_fire_target(view_of(w), direction)  # 1. find a target
    if target is not None:
        kind, index = target
        if kind == "transmission":  # 2. attack a transmission
            transmission = w.transmissions.pop(index)
            out.kills += not transmission["from_scheduled"]
        else:  # 3. attack an enemy
            enemy = w.enemies[index]
            enemy["hp"] = max(0, enemy["hp"] - w.player["attack_damage"])
            if enemy["hp"] > 0:
                enemy["stunned"] = True
            else:
                remove_enemy(w, enemy, out)
        out.ends_turn = True
        return
    dr, dc = DIRECTIONS[direction]
    target = (w.player["row"] + dr, w.player["col"] + dc)  # 4. move (validity is the mask's business)
    w.player["row"], w.player["col"] = target
    if target in w.pickups:
        w.pickups.discard(target)
        w.player["data_siphons"] += 1
        out.pickup_collected = True
    out.reached_exit = target in w.exit_cells
    out.ends_turn = True


# --- §4.2 siphon -------------------------------------------------------------------------------------------------


def siphon_action(w: World, out: Outcome) -> None:
    out.missed_credits, out.missed_energy = missed_siphon_resources(view_of(w))  # 1. on the unchanged state
    out.siphon_suboptimal = (out.missed_credits, out.missed_energy) != (0, 0)  # a better position misses something
    me = (w.player["row"], w.player["col"])
    w.centers.add(me)  # 3.
    for q in siphon_cross(me):  # 2., 4.
        if q in w.siphoned:
            continue
        if (b := w.blocks.get(q)) is not None:
            if b["kind"] == "data":
                w.player["score"] += b["points"]
            else:
                w.owned.add(b["program"])
            w.scalars["pending_siphon"] += b["spawn_count"]
            b["spawn_count"] = 0
            b["question"] = False
        else:
            credits, energy = w.resources.pop(q, (0, 0))
            w.player["credits"] += credits
            w.player["energy"] += energy
        w.siphoned.add(q)
    w.player["data_siphons"] -= 1  # 5.
    w.scalars["sched_interval"] = max(4, w.scalars["sched_interval"] - 1)  # 6.
    w.scalars["sched_next"] += 5
    out.ends_turn = True  # 7.


# --- §4.3 programs -----------------------------------------------------------------------------------------------


def damage(w: World, enemies: list[dict], amount: int, out: Outcome) -> None:
    """§4.3 "damage d": hp -= d (not below 0), survivors stunned; then every enemy at hp 0 is removed and counted."""
    for enemy in enemies:
        enemy["hp"] = max(0, enemy["hp"] - amount)
        if enemy["hp"] > 0:
            enemy["stunned"] = True
    for enemy in [e for e in w.enemies if e["hp"] <= 0]:
        remove_enemy(w, enemy, out)


def push_or_pull(w: World, pull: bool) -> None:
    """§4.3 PUSH / PULL: candidates, farthest (PUSH) or nearest (PULL) one, then collision-checked moves."""
    pr, pc = w.player["row"], w.player["col"]
    desired = []
    for e in w.enemies:
        dr, dc = int(np.sign(e["row"] - pr)), int(np.sign(e["col"] - pc))
        if pull:
            dr, dc = -dr, -dc
        candidates = [(e["row"] + dr, e["col"] + dc)]
        if dr:
            candidates.append((e["row"] + dr, e["col"]))
        if dc:
            candidates.append((e["row"], e["col"] + dc))
        candidates = [q for q in candidates if on_board(q) and not (pull and q == (pr, pc))]
        distance = [manhattan(q, (pr, pc)) for q in candidates]
        if not candidates:
            desired.append(None)
        else:
            best = min(distance) if pull else max(distance)
            desired.append(candidates[distance.index(best)])
    moved_to = set()
    for e, cell in zip(w.enemies, desired):
        if cell is not None and cell not in moved_to:
            e["row"], e["col"] = cell
            moved_to.add(cell)


def crash(w: World, out: Outcome) -> None:
    """§4.3 CRASH: clear the eight surrounding cells (blocks, all enemies, all transmissions)."""
    for cell in surrounding_cells((w.player["row"], w.player["col"])):
        w.blocks.pop(cell, None)
        if enemies := w.enemies_on(cell):
            out.kills += not enemies[0]["from_scheduled"]
            w.enemies = [e for e in w.enemies if e not in enemies]
        if transmissions := w.transmissions_on(cell):
            out.kills += not transmissions[0]["from_scheduled"]
            w.transmissions = [t for t in w.transmissions if t not in transmissions]


def warp_to(w: World, target_index: int, out: Outcome) -> None:
    """§4.3 WARP onto candidate ``target_index`` (enemies in list order, then transmissions)."""
    is_enemy = target_index < len(w.enemies)
    target = w.enemies[target_index] if is_enemy else w.transmissions[target_index - len(w.enemies)]
    cell = (target["row"], target["col"])
    w.player["row"], w.player["col"] = cell
    if is_enemy:
        on_cell = w.enemies_on(cell)
        w.enemies = [e for e in w.enemies if e not in on_cell]
    else:
        on_cell = w.transmissions_on(cell)
        w.transmissions = [t for t in w.transmissions if t not in on_cell]
    out.kills += not on_cell[0]["from_scheduled"]
    out.reached_exit = cell == tuple(w.scalars["exit_position"])


@dataclasses.dataclass(frozen=True)
class PolyOptions:
    """POLY's allowed (type, hp) results for one surviving enemy."""

    options: frozenset


def poly(w: World, out: Outcome) -> None:
    """§4.3 POLY: a random other type, damage carried over; the (type, hp) options are recorded for the check."""
    survivors = []
    for e in w.enemies:
        lost = ENEMY_MAX_HP[e["kind"]] - e["hp"]
        options = frozenset((kind, ENEMY_MAX_HP[kind] - lost) for kind in ENEMY_TYPES if kind != e["kind"])
        alive = {hp > 0 for _, hp in options}
        assert len(alive) == 1, "with hp within the type maxima, whether POLY kills an enemy never depends on chance"
        if alive == {True}:
            e["kind"], e["hp"] = PolyOptions(options), None
            survivors.append(e)
        else:
            out.kills += not e["from_scheduled"]
    w.enemies = survivors


def undo(w: World, snapshot: dict) -> None:
    """§4.3 UNDO: restore the top snapshot's fields (reward totals included), origin flags cleared; stage,
    exit_position, sched_*, pending_siphon and step are kept; the snapshot leaves the history."""
    restored = world_of(snapshot)
    for e in restored.enemies + restored.transmissions:
        e["from_siphon"] = e["from_scheduled"] = False
    kept = {k: w.scalars[k] for k in ("stage", "exit_position", "sched_interval", "sched_next", "pending_siphon",
                                      "step")}  # fmt: skip
    history_count = w.scalars["history_count"] - 1
    w.__dict__.update(restored.__dict__)
    w.scalars.update(kept, history_count=history_count)


def program_action(w: World, index: int, out: Outcome, snapshot: dict | None) -> None:
    """§4.3: pay the costs, then apply the effect (WARP's random target: see reference_action). Only WAIT ends the
    turn."""
    name, credits, energy = PROGRAM_COSTS[index]
    p, s = w.player, w.scalars
    p["credits"] -= credits
    p["energy"] -= energy
    me = (p["row"], p["col"])
    if name in ("PUSH", "PULL"):
        push_or_pull(w, pull=name == "PULL")
    elif name == "CRASH":
        crash(w, out)
    elif name == "WARP":
        pass  # reference_action branches over every target (warp_to)
    elif name == "POLY":
        poly(w, out)
    elif name == "WAIT":
        out.ends_turn = True
    elif name == "DEBUG":
        damage(w, [e for e in w.enemies if (e["row"], e["col"]) in w.blocks], p["attack_damage"], out)
    elif name == "ROW":
        damage(w, [e for e in w.enemies if e["row"] == me[0]], p["attack_damage"], out)
    elif name == "COL":
        damage(w, [e for e in w.enemies if e["col"] == me[1]], p["attack_damage"], out)
    elif name == "UNDO":
        undo(w, snapshot)
    elif name == "STEP":
        s["step"] = True
    elif name == "SIPH+":
        p["data_siphons"] += 1
    elif name == "EXCH":
        p["energy"] += 4
    elif name == "SHOW":
        s["show"] = True
    elif name == "RESET":
        p["hp"] = 3
    elif name == "CALM":
        s["calm"] = True
    elif name == "D_BOM":
        daemons = [e for e in w.enemies if e["kind"] == "daemon"]
        target = min(daemons, key=lambda e: manhattan(cell_of(e), me))  # ties: list order
        remove_enemy(w, target, out)
        damage(w, [e for e in w.enemies if cell_of(e) in surrounding_cells(cell_of(target))], 1, out)
    elif name == "DELAY":
        for t in w.transmissions:
            t["countdown"] += 3
    elif name == "ANTI-V":
        damage(w, [e for e in w.enemies if e["kind"] == "virus"], 1, out)
    elif name == "SCORE":
        p["score"] += 8 - s["stage"]
    elif name == "REDUC":
        for cell, b in w.blocks.items():
            if cell not in w.siphoned:
                b["spawn_count"] = max(0, b["spawn_count"] - 1)
    elif name == "ATK+":
        p["attack_damage"] += 1
        s["atk_plus_uses"] += 1
    elif name == "HACK":
        damage(w, [e for e in w.enemies if (e["row"], e["col"]) in w.siphoned], p["attack_damage"], out)


def reference_action(view: dict, action: int, snapshot: dict | None = None) -> list[tuple[dict, Outcome]]:
    """Every (view, outcome) the rules allow right after the player's ``action`` (§4), before the enemy phase."""
    w, out = world_of(view), Outcome()
    if action < ACTION_SIPHON:
        direction_action(w, action, out)
    elif action == ACTION_SIPHON:
        siphon_action(w, out)
    elif action == ACTION["WARP"]:
        program_action(w, action - FIRST_PROGRAM_ACTION, out, snapshot)  # pays the costs
        results = []
        for target_index in range(len(w.enemies) + len(w.transmissions)):
            branch, branch_out = copy.deepcopy(w), Outcome()
            warp_to(branch, target_index, branch_out)
            results.append((view_of(branch), branch_out))
        return results
    else:
        program_action(w, action - FIRST_PROGRAM_ACTION, out, snapshot)
    return [(view_of(w), out)]


# --- comparison --------------------------------------------------------------------------------------------------

def enemy_matches(expected: dict, actual: dict) -> bool:
    if isinstance(expected["kind"], PolyOptions):
        rest = lambda e: {k: v for k, v in e.items() if k not in ("kind", "hp")}  # noqa: E731
        return (actual["kind"], actual["hp"]) in expected["kind"].options and rest(expected) == rest(actual)
    return expected == actual


def view_differences(expected: dict, actual: dict) -> dict:
    """Every field of the view differing (reward_totals too: unchanged, except restored by UNDO, §4.3)."""
    assert expected.keys() == actual.keys()
    diffs = {}
    for key in actual:
        if key == "enemies":
            same = len(expected[key]) == len(actual[key]) and all(
                enemy_matches(e, a) for e, a in zip(expected[key], actual[key])
            )
        else:
            same = expected[key] == actual[key]
        if not same:
            diffs[key] = (expected[key], actual[key])
    return diffs


def outcome_differences(action: int, expected: Outcome, actual: dict) -> dict:
    fields = ["kills", "pickup_collected", "reached_exit"]
    if not expected.reached_exit:  # the turn end of a step that completes the stage is irrelevant (§5.1 step 4)
        fields.append("ends_turn")
    if action == ACTION_SIPHON:
        fields += ["missed_credits", "missed_energy", "siphon_suboptimal"]
    return {f: (getattr(expected, f), actual[f]) for f in fields if getattr(expected, f) != actual[f]}


def action_name(action: int) -> str:
    if action <= ACTION_SIPHON:
        return ["up", "down", "left", "right", "siphon"][action]
    return PROGRAM_NAMES[action - FIRST_PROGRAM_ACTION]


# --- the functions under test, jitted once for a fixed batch -----------------------------------------------------

BATCH = 128
MASKS = jax.jit(eqx.debug.assert_max_traces(jax.vmap(action_mask), max_traces=1))
ACTS = jax.jit(
    eqx.debug.assert_max_traces(jax.vmap(lambda s, a, k: apply_player_action(s, a, key=k)), max_traces=1)
)


def stack(states: list) -> object:
    padded = states + [states[-1]] * (BATCH - len(states))
    return jax.tree.map(lambda *leaves: np.stack(leaves), *padded)


def unstack(batch, n: int) -> list:
    batch = jax.device_get(batch)
    return [jax.tree.map(lambda leaf: leaf[i], batch) for i in range(n)]


def game_masks(states: list) -> list[list[bool]]:
    masks = []
    for start in range(0, len(states), BATCH):
        chunk = states[start : start + BATCH]
        masks += [list(map(bool, m)) for m in np.asarray(MASKS(stack(chunk)))[: len(chunk)]]
    return masks


def game_actions(cases: list[tuple], seed: int) -> list[tuple[dict, dict]]:
    """(describe(state after the action), outcome as a dict) for each (state, action) case."""
    results = []
    keys = jax.random.split(jax.random.key(seed), (len(cases) + BATCH - 1) // BATCH * BATCH)
    for start in range(0, len(cases), BATCH):
        chunk = cases[start : start + BATCH]
        actions = np.array([a for _, a in chunk] + [0] * (BATCH - len(chunk)), np.int32)
        states, outcomes = ACTS(stack([s for s, _ in chunk]), jnp.asarray(actions), keys[start : start + BATCH])
        for state, outcome in zip(unstack(states, len(chunk)), unstack(outcomes, len(chunk))):
            results.append((describe(state), {k: v.item() for k, v in outcome._asdict().items()}))
    return results


@dataclasses.dataclass
class Case:
    state: object
    view: dict
    snapshot: dict | None  # the expected top of the UNDO history, where known
    origin: str


def check_masks(cases: list[Case]) -> int:
    failures = []
    for case, mask in zip(cases, game_masks([c.state for c in cases])):
        expected = reference_action_mask(case.view)
        if mask != expected:
            wrong = {action_name(a): (expected[a], mask[a]) for a in range(28) if expected[a] != mask[a]}
            failures.append(f"{case.origin}: (expected, actual) {wrong}")
    assert not failures, f"{len(failures)} mask mismatches, e.g.\n" + "\n".join(failures[:8])
    return len(cases)


def check_actions(cases: list[Case], seed: int) -> int:
    """Execute every action the reference mask allows and compare with the reference's allowed results."""
    pairs = [(case, a) for case in cases for a, ok in enumerate(reference_action_mask(case.view)) if ok]
    failures = []
    for (case, action), (actual_view, actual_outcome) in zip(
        pairs, game_actions([(c.state, a) for c, a in pairs], seed)
    ):
        if action == ACTION["UNDO"] and case.snapshot is None:
            continue  # no known snapshot to compare with
        alternatives = reference_action(case.view, action, case.snapshot)
        differences = [
            {**view_differences(view, actual_view), **outcome_differences(action, out, actual_outcome)}
            for view, out in alternatives
        ]
        if all(differences):
            best = min(differences, key=len)
            failures.append(f"{case.origin}, action {action} ({action_name(action)}): (expected, actual) {best}")
    assert not failures, f"{len(failures)} of {len(pairs)} actions differ, e.g.\n" + "\n".join(failures[:8])
    return len(pairs)


# --- (a) states reached by random valid play ---------------------------------------------------------------------

PLAY_SEEDS = 20
PLAY_STEPS = 14


def enrich(state, rng: np.random.Generator):
    """Give a fresh game programs, credits and energy, so that random play uses programs (and UNDO) too."""
    owned = rng.random(C.NUM_PROGRAMS) < 0.7
    player = state.player._replace(credits=jnp.asarray(30, jnp.int32), energy=jnp.asarray(30, jnp.int32))
    return state._replace(owned=jnp.asarray(owned), player=player)


@pytest.fixture(scope="module")
def played_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    cases = []
    for seed in range(PLAY_SEEDS):
        state, _ = RESET(jax.random.key(seed))
        if seed % 2:
            state = enrich(state, rng)
        view, history = describe(state), []  # history: the views pushed as UNDO snapshots (§5.2 step 8)
        for t in range(PLAY_STEPS):
            cases.append(Case(state, view, history[-1] if history else None, f"play seed {seed} step {t}"))
            valid = [a for a, ok in enumerate(reference_action_mask(view)) if ok]
            weights = np.array([4.0 if a <= ACTION_SIPHON or a == ACTION["WAIT"] else 1.0 for a in valid])
            action = int(rng.choice(valid, p=weights / weights.sum()))
            state, _, _, done, _ = step(state, action, jax.random.key(1000 * seed + t))
            after = describe(state)
            if after["stage"] != view["stage"]:
                history = []
            elif after["turn"] == view["turn"] + 1:
                history.append(after)
            elif action == ACTION["UNDO"]:
                history.pop()
            view = after
            if done:
                break
    return cases


def test_mask_matches_reference_on_played_states(played_cases):
    assert check_masks(played_cases) >= 250


def test_player_action_matches_reference_on_played_states(played_cases):
    assert check_actions(played_cases, seed=1) >= 1000


# --- (b) random edge-case scenarios ------------------------------------------------------------------------------

SCENARIOS = 240


def random_cell(rng: np.random.Generator, near=None) -> tuple[int, int]:
    """A random cell, often on the row, column or neighbourhood of ``near`` (to stress lines of fire)."""
    if near is not None and rng.random() < 0.6:
        r, c = near
        choice = rng.integers(3)
        if choice == 0:
            return r, int(rng.integers(BOARD))
        if choice == 1:
            return int(rng.integers(BOARD)), c
        return int(np.clip(r + rng.integers(-1, 2), 0, 5)), int(np.clip(c + rng.integers(-1, 2), 0, 5))
    edge = rng.random() < 0.4
    r, c = (int(x) for x in rng.integers(BOARD, size=2))
    if edge:
        if rng.random() < 0.5:
            r = int(rng.choice([0, 5]))
        else:
            c = int(rng.choice([0, 5]))
    return r, c


def random_scenario(rng: np.random.Generator) -> Scenario:
    me = random_cell(rng)
    while me == (5, 5):
        me = random_cell(rng)
    rich = rng.random() < 0.8
    player = PlayerSpec(
        row=me[0], col=me[1], hp=int(rng.integers(1, 4)),
        credits=int(rng.integers(3, 15)) if rich else int(rng.integers(0, 6)),
        energy=int(rng.integers(3, 15)) if rich else int(rng.integers(0, 6)),
        data_siphons=int(rng.integers(0, 3)), attack_damage=int(rng.integers(1, 4)), score=int(rng.integers(0, 5)),
    )  # fmt: skip
    on_block = rng.random() < 0.1  # as after a WARP onto an enemy standing on a block
    occupied = {(5, 5)} | (set() if on_block else {me})
    blocks = []
    for i in range(rng.integers(0, 9) + on_block):
        cell = me if on_block and i == 0 else random_cell(rng, near=me)
        if cell in occupied:
            continue
        occupied.add(cell)
        if rng.random() < 0.5:
            points = int(rng.integers(1, 10))
            blocks.append(BlockSpec(*cell, "data", points=points, spawn_count=int(rng.integers(0, 10)),
                                    siphoned=bool(rng.random() < 0.25)))  # fmt: skip
        else:
            blocks.append(BlockSpec(*cell, "program", spawn_count=int(rng.integers(0, 9)),
                                    siphoned=bool(rng.random() < 0.25),
                                    program=PROGRAM_NAMES[int(rng.integers(C.NUM_PROGRAMS))]))  # fmt: skip
    block_cells = {(b.row, b.col) for b in blocks}
    resources, resource_cells = [], set()
    for _ in range(rng.integers(0, 10)):
        cell = random_cell(rng, near=me)
        if cell in resource_cells:
            continue
        resource_cells.add(cell)
        if rng.random() < 0.25 and cell not in block_cells and cell != (5, 5):
            resources.append(ResourceSpec(*cell, data_siphon=True))
        elif rng.random() < 0.5:
            resources.append(ResourceSpec(*cell, credits=int(rng.integers(1, 4))))
        else:
            resources.append(ResourceSpec(*cell, energy=int(rng.integers(1, 4))))
    enemies = []
    for _ in range(rng.integers(0, 7)):
        cell = (enemies[-1].row, enemies[-1].col) if enemies and rng.random() < 0.2 else random_cell(rng, near=me)
        if cell == me:
            continue
        kind = ENEMY_TYPES[int(rng.integers(4))]
        enemies.append(EnemySpec(kind, *cell, hp=int(rng.integers(1, ENEMY_MAX_HP[kind] + 1)),
                                 stunned=bool(rng.random() < 0.3), from_siphon=bool(rng.random() < 0.3),
                                 from_scheduled=bool(rng.random() < 0.3)))  # fmt: skip
    transmissions, transmission_cells = [], set()
    for _ in range(rng.integers(0, 5)):
        cell = random_cell(rng, near=me)
        if cell in transmission_cells or cell in block_cells or (cell == me and rng.random() < 0.8):
            continue
        transmission_cells.add(cell)
        transmissions.append(TransmissionSpec(*cell, countdown=int(rng.integers(1, 5)),
                                              kind=ENEMY_TYPES[int(rng.integers(4))]))  # fmt: skip
    owned = list(PROGRAM_NAMES) if rng.random() < 0.7 else [n for n in PROGRAM_NAMES if rng.random() < 0.6]
    return Scenario(
        player=player, enemies=enemies, transmissions=transmissions, blocks=blocks, resources=resources,
        owned_programs=owned, stage=int(rng.integers(1, 9)), turn=int(rng.integers(0, 20)),
        show=bool(rng.random() < 0.3), calm=bool(rng.random() < 0.3),
    )  # fmt: skip


def with_random_extras(state, rng: np.random.Generator):
    """What scenarios cannot express: question blocks, siphoned and centre flags on empty cells, a pending STEP,
    ATK+ uses, scheduled-task timing and owed siphon transmissions (same structure and dtypes as the builder's)."""
    board = jax.device_get(state.board)
    is_block = board.content == C.CONTENT_BLOCK
    question = is_block & ~board.siphoned & (rng.random((BOARD, BOARD)) < 0.3)
    siphoned = board.siphoned | (~is_block & (rng.random((BOARD, BOARD)) < 0.1))
    centers = siphoned & (rng.random((BOARD, BOARD)) < 0.3)
    as_like = lambda value, like: jnp.asarray(value, like.dtype)  # noqa: E731
    board = state.board._replace(question=as_like(question, state.board.question),
                                 siphoned=as_like(siphoned, state.board.siphoned),
                                 siphon_center=as_like(centers, state.board.siphon_center))  # fmt: skip
    interval = int(rng.integers(4, 13))
    return state._replace(
        board=board, step_pending=as_like(rng.random() < 0.2, state.step_pending),
        atk_plus_uses=as_like(rng.integers(0, 3), state.atk_plus_uses),
        sched_interval=as_like(interval, state.sched_interval),
        sched_next=as_like(interval + rng.integers(0, 10), state.sched_next),
        pending_siphon=as_like(rng.integers(0, 4), state.pending_siphon),
    )  # fmt: skip


@pytest.fixture(scope="module")
def scenario_cases() -> list[Case]:
    rng = np.random.default_rng(11)
    cases = []
    for i in range(SCENARIOS):
        scenario = random_scenario(rng)
        state = build_state(scenario)
        if rng.random() < 0.6:
            state = with_random_extras(state, rng)
        cases.append(Case(state, describe(state), None, f"scenario {i}: {scenario}"))
    return cases


def test_mask_matches_reference_on_scenarios(scenario_cases):
    assert check_masks(scenario_cases) == SCENARIOS


def test_player_action_matches_reference_on_scenarios(scenario_cases):
    assert check_actions(scenario_cases, seed=2) >= 2000


def test_every_action_is_exercised(played_cases, scenario_cases):
    exercised = {a for case in played_cases + scenario_cases for a, ok in enumerate(reference_action_mask(case.view)) if ok}
    assert exercised == set(range(28))


# --- the reference itself against the rule book's worked examples ------------------------------------------------


def test_reference_reproduces_appendix_examples():
    # Example 6: PUSH with a collision.
    view = describe(build_state(Scenario(PlayerSpec(2, 2, energy=2), owned_programs=["PUSH"], enemies=[
        EnemySpec("glitch", 1, 3, hp=2), EnemySpec("daemon", 0, 3, hp=3)])))  # fmt: skip
    [(after, out)] = reference_action(view, ACTION["PUSH"])
    assert [(e["row"], e["col"]) for e in after["enemies"]] == [(0, 4), (0, 3)] and not out.ends_turn
    # Example 7: PULL of a diagonal neighbour.
    view = describe(build_state(Scenario(PlayerSpec(2, 2, energy=2), owned_programs=["PULL"], enemies=[
        EnemySpec("glitch", 3, 3, hp=2), EnemySpec("daemon", 5, 2, hp=3),
        EnemySpec("virus", 2, 4, hp=2)])))  # fmt: skip
    [(after, _)] = reference_action(view, ACTION["PULL"])
    assert [(e["row"], e["col"]) for e in after["enemies"]] == [(2, 3), (4, 2), (2, 4)]
    # Example 10: D_BOM.
    view = describe(build_state(Scenario(PlayerSpec(2, 2, credits=3), owned_programs=["D_BOM"], enemies=[
        EnemySpec("daemon", 0, 5, hp=3), EnemySpec("daemon", 4, 1, hp=3), EnemySpec("virus", 5, 2, hp=2),
        EnemySpec("cryptog", 3, 1, hp=1)])))  # fmt: skip
    [(after, out)] = reference_action(view, ACTION["D_BOM"])
    assert [(e["kind"], e["hp"], e["stunned"]) for e in after["enemies"]] == [("daemon", 3, False), ("virus", 1, True)]
    assert out.kills == 2
    # Example 19: movement mask.
    view = describe(build_state(Scenario(PlayerSpec(2, 2), blocks=[BlockSpec(3, 2, "data"), BlockSpec(2, 1, "data")],
        enemies=[EnemySpec("glitch", 3, 2, hp=2), EnemySpec("daemon", 2, 5, hp=3)])))  # fmt: skip
    assert reference_action_mask(view)[:5] == [True, True, False, True, False]
    # Example 5: suboptimal siphon position.
    view = describe(build_state(Scenario(PlayerSpec(1, 0, data_siphons=1), blocks=[BlockSpec(1, 1, "data", 2, 2)],
        resources=[ResourceSpec(0, 0, credits=1), ResourceSpec(2, 2, credits=2),
                   ResourceSpec(1, 3, energy=1)])))  # fmt: skip
    [(after, out)] = reference_action(view, ACTION_SIPHON)
    assert (out.missed_credits, out.missed_energy, out.siphon_suboptimal) == (1, 1, True)
    assert (after["player"]["score"], after["player"]["credits"], after["pending_siphon"]) == (2, 1, 2)
