"""Stage completion (§6.1), stage generation (§6.2) and the start of a game (§6.3).

Single stages are checked field by field; the distributions are checked over 1000 generated games (one vmapped
call) against the probabilities the spec states.
"""

from __future__ import annotations

from collections import deque

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game import generation
from hackmatrix.game.scenario import EnemySpec, PlayerSpec, Scenario, TransmissionSpec, build_state, describe

N = C.BOARD_SIZE
GAMES = 1000
CORNERS = set(C.CORNERS)

_complete = jax.jit(lambda state, key, where: generation.complete_stage(state, key=key, where=where))
_new_games = jax.jit(jax.vmap(generation.new_game))


@pytest.fixture(scope="module")
def games():
    """1000 fresh games as host numpy arrays."""
    return jax.device_get(_new_games(jax.random.split(jax.random.key(0), GAMES)))


def check_stage(s, stage, occupied=frozenset()):
    """The §6.2 invariants of one generated stage (``describe`` form); ``occupied``: enemy/transmission cells that
    existed before generation."""
    player = (s["player"]["row"], s["player"]["col"])
    exit_cell = s["exit_position"]
    assert s["exit_cells"] == [exit_cell] and exit_cell in CORNERS and exit_cell != player
    assert set(s["pickups"]) == CORNERS - {exit_cell, player}
    blocks = {(b["row"], b["col"]) for b in s["blocks"]}
    assert C.MIN_BLOCKS <= len(blocks) <= C.MAX_BLOCKS_DRAWN or not blocks
    assert not blocks & (CORNERS | set(occupied))
    programs = [b["program"] for b in s["blocks"] if b["kind"] == "program"]
    assert len(set(programs)) == len(programs)
    for b in s["blocks"]:
        if b["kind"] == "data":
            assert 1 <= b["points"] <= 9 and b["spawn_count"] == b["points"]
        else:
            assert b["points"] == 0 and b["spawn_count"] == C.PROGRAM_SPAWN_COST[C.PROGRAM_INDEX[b["program"]]]
        assert not b["siphoned"]
    resources = {(r["row"], r["col"]): r for r in s["resources"]}
    assert set(resources) == {(r, c) for r in range(N) for c in range(N)} - blocks - {exit_cell}
    assert all((r["credits"] == 0) != (r["energy"] == 0) and 1 <= r["credits"] + r["energy"] <= 3
               for r in resources.values())  # fmt: skip
    assert connected(blocks, exit_cell) and all(has_open_neighbour(b, blocks) for b in blocks)
    assert s["turn"] == 0 and s["sched_interval"] == 13 - stage and s["sched_next"] == 13 - stage
    assert not (s["show"] or s["calm"] or s["step"]) and s["atk_plus_uses"] == 0 and s["history_count"] == 0
    assert s["siphoned_cells"] == [] and s["siphon_centers"] == []


def connected(blocks, exit_cell):
    """Flood fill from (0,0) over block-free cells, entering the exit but not leaving it (unless starting there)."""
    seen, queue = {(0, 0)}, deque([(0, 0)])
    while queue:
        cell = queue.popleft()
        if cell == exit_cell and cell != (0, 0):
            continue
        for dr, dc in C.DIRECTIONS.tolist():
            nxt = (cell[0] + dr, cell[1] + dc)
            if 0 <= nxt[0] < N and 0 <= nxt[1] < N and nxt not in blocks and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen) == N * N - len(blocks)


def has_open_neighbour(cell, blocks):
    return any(
        0 <= cell[0] + dr < N and 0 <= cell[1] + dc < N and (cell[0] + dr, cell[1] + dc) not in blocks
        for dr, dc in C.DIRECTIONS.tolist()
    )


def example_11_state():
    """Stage 3, player on the exit (5,0) after moving there, hp 2, credits 7, energy 3, a daemon at (2,4)."""
    state = build_state(Scenario(
        player=PlayerSpec(5, 0, hp=2, credits=7, energy=3), stage=3, turn=9, show=True, calm=True,
        enemies=[EnemySpec("daemon", 2, 4, 3)], transmissions=[TransmissionSpec(1, 2, 2, "glitch")],
    ))  # fmt: skip
    return state._replace(
        exit_row=jnp.asarray(5, jnp.int32), exit_col=jnp.asarray(0, jnp.int32), step_pending=jnp.asarray(True),
        atk_plus_uses=jnp.asarray(2, jnp.int32), pending_siphon=jnp.asarray(3, jnp.int32),
        history=state.history._replace(count=jnp.asarray(4, jnp.int32)),
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
def test_example_11_completing_a_stage(seed):
    before = example_11_state()
    s = describe(_complete(before, jax.random.key(seed), jnp.asarray(True)))
    assert s["player"] == dict(row=5, col=0, hp=3, credits=7, energy=3, data_siphons=0, attack_damage=1, score=0)
    assert s["stage"] == 4 and s["pending_siphon"] == 3
    check_stage(s, 4, occupied={(2, 4), (1, 2)})
    assert s["enemies"][0] == dict(kind="daemon", row=2, col=4, hp=3, disabled_turns=0, stunned=False,
                                   from_siphon=False, from_scheduled=False)  # fmt: skip
    old, *new = s["transmissions"]
    assert (old["row"], old["col"], old["countdown"]) == (1, 2, 2)
    assert len(new) == 4 and all(t["countdown"] == 1 and not (t["from_siphon"] or t["from_scheduled"]) for t in new)


def test_victory_completes_stage_8_without_generating():
    before = example_11_state()._replace(stage=jnp.asarray(8, jnp.int32))
    after = _complete(before, jax.random.key(0), jnp.asarray(True))
    s, b = describe(after), describe(before)
    assert s["stage"] == C.VICTORY_STAGE and s["player"]["hp"] == 3
    for field in ("blocks", "resources", "pickups", "exit_cells", "transmissions", "enemies", "turn", "exit_position"):
        assert s[field] == b[field]


def test_where_false_changes_nothing():
    before = example_11_state()
    after = _complete(before, jax.random.key(0), jnp.asarray(False))
    for a, b in zip(jax.tree.leaves(after), jax.tree.leaves(before)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_blocks_avoid_a_crowd_and_are_capped_by_the_free_cells():
    """With enemies and transmissions on all but three non-corner cells, at most three blocks fit (and a valid
    layout may need fewer)."""
    inner = [(r, c) for r in range(N) for c in range(N) if (r, c) not in CORNERS]
    left_free = {(1, 1), (2, 2), (3, 3)}
    crowd = [cell for cell in inner if cell not in left_free]
    state = build_state(Scenario(
        player=PlayerSpec(0, 0), enemies=[EnemySpec("virus", r, c, 2) for r, c in crowd[:C.MAX_ENEMIES]],
        transmissions=[TransmissionSpec(r, c, 1, "virus") for r, c in crowd[C.MAX_ENEMIES:]],
    ))  # fmt: skip
    for seed in range(3):
        s = describe(_complete(state, jax.random.key(seed), jnp.asarray(True)))
        blocks = {(b["row"], b["col"]) for b in s["blocks"]}
        assert blocks <= left_free


def test_new_games_satisfy_every_stage_invariant(games):
    for i in range(50):
        s = describe(jax.tree.map(lambda x: x[i], games))
        player = (s["player"]["row"], s["player"]["col"])
        assert player in CORNERS and s["stage"] == 1 and s["player"]["hp"] == 3
        assert s["player"]["attack_damage"] == 1 and s["enemies"] == [] and s["pending_siphon"] == 0
        bonus = (s["player"]["credits"], s["player"]["energy"], s["player"]["data_siphons"])
        assert bonus in {(C.START_BONUS_CREDITS, 0, 0), (0, C.START_BONUS_ENERGY, 0), (0, 0, 1)}
        check_stage(s, 1)
        assert len(s["transmissions"]) == 1


def within(observed, expected, n):
    """``observed`` frequencies match ``expected`` probabilities within 5 standard errors."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    return np.all(np.abs(observed - expected) < 5 * np.sqrt(expected * (1 - expected) / n) + 1e-9)


def test_stage_statistics_match_the_spec(games):
    b, p = games.board, games.player
    is_block = b.content == C.CONTENT_BLOCK
    counts = is_block.sum((1, 2))
    assert counts.min() >= C.MIN_BLOCKS  # every stage found a valid layout
    assert within(np.bincount(counts, minlength=12)[5:12] / GAMES, np.full(7, 1 / 7), GAMES)
    blocks = is_block.sum()
    kinds = [
        (is_block & (b.block_kind == C.BLOCK_DATA) & ~b.question).sum(),
        (is_block & (b.block_kind == C.BLOCK_PROGRAM) & ~b.question).sum(),
        (is_block & (b.block_kind == C.BLOCK_DATA) & b.question).sum(),
        (is_block & (b.block_kind == C.BLOCK_PROGRAM) & b.question).sum(),
    ]
    assert within(np.array(kinds) / blocks, [0.45, 0.45, 0.05, 0.05], blocks)
    data = is_block & (b.block_kind == C.BLOCK_DATA)
    assert within(np.bincount(b.points[data], minlength=10)[1:] / data.sum(), np.full(9, 1 / 9), data.sum())
    programs = b.program[is_block & (b.block_kind == C.BLOCK_PROGRAM)]
    assert within(np.bincount(programs, minlength=C.NUM_PROGRAMS) / len(programs), np.full(23, 1 / 23), len(programs))
    amount = b.credits + b.energy
    with_resource = amount > 0
    assert within(np.bincount(amount[with_resource], minlength=4)[1:] / with_resource.sum(), C.RESOURCE_AMOUNT_PROBS,
                  with_resource.sum())  # fmt: skip
    assert within([(b.credits > 0).sum() / with_resource.sum()], [0.5], with_resource.sum())
    corner_index = {cell: i for i, cell in enumerate(C.CORNERS)}
    start = np.array([corner_index[(r, c)] for r, c in zip(p.row, p.col)])
    exits = np.array([corner_index[(r, c)] for r, c in zip(games.exit_row, games.exit_col)])
    assert within(np.bincount(start, minlength=4) / GAMES, np.full(4, 0.25), GAMES)
    assert not np.any(start == exits)
    assert within([np.mean((exits - start) % 4 == k) for k in (1, 2, 3)], np.full(3, 1 / 3), GAMES)
    bonus = np.stack([p.credits > 0, p.energy > 0, p.data_siphons > 0], 1)
    assert np.all(bonus.sum(1) == 1) and within(bonus.mean(0), np.full(3, 1 / 3), GAMES)


def test_layouts_are_connected_and_siphonable(games):
    for i in range(GAMES):
        blocks = {(r, c) for r, c in np.argwhere(games.board.content[i] == C.CONTENT_BLOCK)}
        exit_cell = (int(games.exit_row[i]), int(games.exit_col[i]))
        assert connected(blocks, exit_cell)
        assert all(has_open_neighbour(cell, blocks) for cell in blocks)


def test_program_assignment_is_exchangeable_across_cells(games):
    """Among stages with two or more program blocks, the first program block in cell order holds the smaller
    program index about half the time (it would always do so if programs were handed out in index order)."""
    smaller = []
    for i in range(GAMES):
        cells = (games.board.content[i] == C.CONTENT_BLOCK) & (games.board.block_kind[i] == C.BLOCK_PROGRAM)
        programs = games.board.program[i][cells]
        if len(programs) >= 2:
            smaller.append(programs[0] < programs[1])
    assert len(smaller) > 500 and within([np.mean(smaller)], [0.5], len(smaller))


# --- Further rule checks (§6.2) -----------------------------------------------------------------------------------


def test_a_player_off_the_corners_gets_an_exit_among_all_four_and_three_pickups():
    # §6.2 step 4: "if the player is not on a corner, among all four"; step 5: every other corner gets a pickup.
    state = build_state(Scenario(player=PlayerSpec(2, 2)))
    exits = set()
    for seed in range(16):
        s = describe(_complete(state, jax.random.key(seed), jnp.asarray(True)))
        [exit_cell] = s["exit_cells"]
        assert exit_cell == s["exit_position"] and exit_cell in CORNERS
        assert sorted(s["pickups"]) == sorted(CORNERS - {exit_cell})
        exits.add(exit_cell)
    assert exits == CORNERS  # each corner has probability 1/4; all four in 16 draws fail with p < 0.05


def test_when_every_attempt_fails_the_stage_has_no_blocks():
    """§6.2 step 6: N is capped at the eligible cells and "If all 100 attempts fail the stage has no blocks". Every
    non-corner cell but (0,1) and (1,0) holds an enemy or a transmission: both blocks always go there and wall in
    (0,0), so no attempt is connected."""
    inner = [(r, c) for r in range(N) for c in range(N) if (r, c) not in CORNERS | {(0, 1), (1, 0)}]
    state = build_state(Scenario(
        player=PlayerSpec(0, 5), enemies=[EnemySpec("daemon", r, c, 3) for r, c in inner[:20]],
        transmissions=[TransmissionSpec(r, c, 2, "virus") for r, c in inner[20:]],
    ))  # fmt: skip
    for seed in range(3):
        s = describe(_complete(state, jax.random.key(seed), jnp.asarray(True)))
        assert s["blocks"] == [] and s["stage"] == 2
        assert len(s["resources"]) == N * N - 1  # every cell but the exit gets a resource


def test_owned_programs_may_still_appear_as_blocks():
    # §6.2 step 6.2: "already-owned programs may appear".
    state = build_state(Scenario(player=PlayerSpec(0, 0), owned_programs=list(C.PROGRAM_NAMES)))
    programs = [b["program"] for seed in range(4)
                for b in describe(_complete(state, jax.random.key(seed), jnp.asarray(True)))["blocks"]
                if b["kind"] == "program"]  # fmt: skip
    assert programs  # at least 20 blocks, each a program block with probability 1/2
