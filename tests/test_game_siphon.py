"""The siphon action (spec §4.2) and the siphon quality of §7 component 15."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.scenario import BlockSpec, PlayerSpec, ResourceSpec, describe
from test_game_actions_support import QUALITY, SIPHON, act, build, expect, mask_of, quiet_outcome


def quality(state) -> tuple[bool, int, int]:
    return tuple(value.item() for value in QUALITY(state))


def set_cells(state, **fields):
    """Set board fields cell by cell: ``set_cells(state, siphoned={(0, 0): True})``."""
    board = state.board
    for name, cells in fields.items():
        array = getattr(board, name)
        for (row, col), value in cells.items():
            array = array.at[row, col].set(value)
        board = board._replace(**{name: array})
    return state._replace(board=board)


def siphoned_block(block: dict) -> dict:
    return {**block, "spawn_count": 0, "question": False, "siphoned": True}


def example_4():
    return build(
        player=PlayerSpec(2, 2, data_siphons=1), turn=3,
        blocks=[BlockSpec(3, 2, "data", points=4, spawn_count=4), BlockSpec(2, 3, "program", program="DEBUG",
                                                                            spawn_count=4)],
        resources=[ResourceSpec(2, 2, credits=2), ResourceSpec(2, 1, energy=3)],
    )  # fmt: skip


def example_5():
    return build(
        player=PlayerSpec(1, 0, data_siphons=1), blocks=[BlockSpec(1, 1, "data", points=2, spawn_count=2)],
        resources=[ResourceSpec(0, 0, credits=1), ResourceSpec(2, 2, credits=2), ResourceSpec(1, 3, energy=1)],
    )  # fmt: skip


def test_siphon_needs_a_data_siphon_only():
    state = build(player=PlayerSpec(2, 2, data_siphons=1))
    assert mask_of(state)[SIPHON]
    assert not mask_of(build(player=PlayerSpec(2, 2), blocks=[BlockSpec(2, 3, "data", points=1)]))[SIPHON]


def test_example_4_siphons_the_whole_cross():
    state = example_4()
    after, outcome = act(state, SIPHON)
    before = describe(state)
    assert describe(after) == expect(
        state, player={"score": 4, "credits": 2, "energy": 3, "data_siphons": 0},
        blocks=[siphoned_block(block) for block in before["blocks"]], resources=[],
        siphoned_cells=[(1, 2), (2, 1), (2, 2), (2, 3), (3, 2)], siphon_centers=[(2, 2)], owned_programs=["DEBUG"],
        sched_interval=11, sched_next=17, pending_siphon=8,
    )  # fmt: skip
    assert outcome == quiet_outcome(ends_turn=True)


def test_example_5_suboptimal_position():
    state = example_5()
    assert quality(state) == (True, 1, 1)
    after, outcome = act(state, SIPHON)
    assert describe(after) == expect(
        state, player={"score": 2, "credits": 1, "data_siphons": 0},
        blocks=[siphoned_block(describe(state)["blocks"][0])],
        resources=[dict(row=1, col=3, credits=0, energy=1, data_siphon=False),
                   dict(row=2, col=2, credits=2, energy=0, data_siphon=False)],
        siphoned_cells=[(0, 0), (1, 0), (1, 1), (2, 0)], siphon_centers=[(1, 0)],
        sched_interval=11, sched_next=17, pending_siphon=2,
    )  # fmt: skip
    assert outcome == quiet_outcome(ends_turn=True, siphon_suboptimal=True, missed_credits=1, missed_energy=1)


def test_question_blocks_resolve_as_their_hidden_content():
    state = build(player=PlayerSpec(2, 2, data_siphons=2),
                  blocks=[BlockSpec(2, 3, "data", points=5, spawn_count=5),
                          BlockSpec(3, 2, "program", program="HACK", spawn_count=4)])  # fmt: skip
    state = set_cells(state, question={(2, 3): True, (3, 2): True})
    after, _ = act(state, SIPHON)
    assert describe(after) == expect(
        state, player={"score": 5, "data_siphons": 1},
        blocks=[siphoned_block(block) for block in describe(state)["blocks"]],
        siphoned_cells=[(1, 2), (2, 1), (2, 2), (2, 3), (3, 2)], siphon_centers=[(2, 2)], owned_programs=["HACK"],
        sched_interval=11, sched_next=17, pending_siphon=9,
    )  # fmt: skip


def test_siphoned_cells_are_skipped_and_only_loose_resources_are_taken():
    state = build(
        player=PlayerSpec(4, 4, data_siphons=1), owned_programs=["WAIT"],
        blocks=[BlockSpec(3, 4, "data", points=6, spawn_count=6, siphoned=True),  # already siphoned: nothing
                BlockSpec(4, 3, "program", program="WAIT", spawn_count=1)],  # owned already: only the spawn count
        resources=[ResourceSpec(4, 3, credits=3),  # under a block: stays
                   ResourceSpec(5, 4, data_siphon=True),  # a pickup is not collected by siphoning
                   ResourceSpec(5, 5, credits=2)],  # on the exit: not in the cross
    )  # fmt: skip
    # The pickup cell carries energy and the player's cell credits on a siphoned cell, which stay.
    state = set_cells(state, energy={(5, 4): 2}, credits={(4, 4): 4}, siphoned={(4, 4): True})
    state = state._replace(pending_siphon=jnp.asarray(3, jnp.int32), sched_interval=jnp.asarray(4, jnp.int32))
    after, _ = act(state, SIPHON)
    blocks = describe(state)["blocks"]
    assert describe(after) == expect(
        state, player={"energy": 2, "data_siphons": 0}, blocks=[blocks[0], siphoned_block(blocks[1])],
        resources=[{**r, "energy": 0} if (r["row"], r["col"]) == (5, 4) else r for r in describe(state)["resources"]],
        siphoned_cells=[(3, 4), (4, 3), (4, 4), (4, 5), (5, 4)], siphon_centers=[(4, 4)],
        sched_interval=4, sched_next=17, pending_siphon=4,
    )  # fmt: skip


def test_the_exit_cell_yields_its_resource_and_a_block_under_the_player_is_siphoned():
    # After a WARP the player can stand on a block: the centre is processed like any cell of the cross.
    state = build(player=PlayerSpec(5, 4, data_siphons=1), blocks=[BlockSpec(5, 4, "data", points=3, spawn_count=2)],
                  resources=[ResourceSpec(5, 5, energy=2), ResourceSpec(4, 4, credits=1)])  # fmt: skip
    # Standing on a block yields nothing; (4, 5) reaches the credit and the exit's energy and is no neighbour of
    # the data block, so it is better.
    assert quality(state) == (True, 1, 2)
    after, _ = act(state, SIPHON)
    assert describe(after) == expect(
        state, player={"score": 3, "credits": 1, "energy": 2, "data_siphons": 0},
        blocks=[siphoned_block(describe(state)["blocks"][0])], resources=[],
        siphoned_cells=[(4, 4), (5, 3), (5, 4), (5, 5)], siphon_centers=[(5, 4)],
        sched_interval=11, sched_next=17, pending_siphon=2,
    )  # fmt: skip


# --- siphon quality ------------------------------------------------------------------------------------------------


def test_example_4_is_optimal_and_only_positions_covering_both_blocks_compete():
    state = example_4()
    assert quality(state) == (False, 0, 0)
    # (4, 2) covers only the data block: its riches do not count.
    assert quality(set_cells(state, credits={(4, 2): 9})) == (False, 0, 0)
    # (3, 3) covers both; with more credits and as much energy it is strictly better.
    assert quality(set_cells(state, credits={(4, 3): 9}, energy={(3, 4): 3})) == (True, 7, 0)
    assert quality(set_cells(state, credits={(4, 3): 9}, energy={(3, 4): 2})) == (False, 0, 0)


def test_an_extra_data_block_spoils_a_candidate():
    # Example 5 with a data block at (0, 2): (1, 2) now yields another value; (2, 1) is still better.
    assert quality(set_cells(example_5(), content={(0, 2): C.CONTENT_BLOCK}, block_kind={(0, 2): C.BLOCK_DATA},
                             points={(0, 2): 7})) == (True, 1, 0)  # fmt: skip


@pytest.mark.parametrize("extra_program, better", [("WARP", True), ("SHOW", True), ("HACK", False)])
def test_programs_compare_as_a_set_of_unowned_programs(extra_program, better):
    # The player's yield is {WARP}. (1, 3) covers the WARP block too and has 2 credits, but its cross also holds
    # the block at (0, 3): a second WARP (same set) or an owned SHOW are fine, an unowned HACK is not.
    state = build(player=PlayerSpec(2, 2, data_siphons=1), owned_programs=["SHOW"],
                  blocks=[BlockSpec(2, 3, "program", program="WARP", spawn_count=5),
                          BlockSpec(0, 3, "program", program=extra_program, spawn_count=3)],
                  resources=[ResourceSpec(1, 3, credits=2)])  # fmt: skip
    assert quality(state) == ((True, 2, 0) if better else (False, 0, 0))


def test_without_a_valuable_yield_any_position_free_of_valuable_blocks_competes():
    # The player's cross holds only an owned program: every position without a block is a candidate, unless its
    # cross holds a data block or an unowned program.
    base = build(player=PlayerSpec(2, 2, data_siphons=1), owned_programs=["SHOW"],
                 blocks=[BlockSpec(2, 3, "program", program="SHOW", spawn_count=2)],
                 resources=[ResourceSpec(2, 2, credits=2), ResourceSpec(5, 0, credits=5)])  # fmt: skip
    assert quality(base) == (True, 3, 0)
    guarded = set_cells(base, content={(4, 0): C.CONTENT_BLOCK, (5, 1): C.CONTENT_BLOCK},
                        block_kind={(4, 0): C.BLOCK_DATA, (5, 1): C.BLOCK_PROGRAM}, program={(5, 1): C.CALM})
    assert quality(guarded) == (False, 0, 0)
    assert quality(set_cells(base, credits={(5, 0): 2})) == (False, 0, 0)  # equal is not better


def test_siphoned_cells_count_for_nothing():
    state = build(player=PlayerSpec(2, 2, data_siphons=1),
                  blocks=[BlockSpec(2, 3, "data", points=3, spawn_count=3, siphoned=True)],
                  resources=[ResourceSpec(2, 1, credits=1), ResourceSpec(2, 4, credits=3), ResourceSpec(0, 0,
                                                                                                     credits=5)])
    # (2, 4) sits next to the siphoned block, which is no extra; the 5 credits on a siphoned cell are no yield.
    assert quality(set_cells(state, siphoned={(0, 0): True})) == (True, 2, 0)
    assert quality(state) == (True, 4, 0)


def test_quality_is_reported_only_for_a_siphon():
    state = example_5()
    state = state._replace(owned=state.owned.at[C.WAIT].set(True), player=state.player._replace(
        energy=jnp.asarray(1, jnp.int32)))  # fmt: skip
    _, outcome = act(state, C.FIRST_PROGRAM_ACTION + C.WAIT)
    assert outcome == quiet_outcome(ends_turn=True)
    _, outcome = act(state, C.ACTION_UP)
    assert outcome == quiet_outcome(ends_turn=True)


def test_quality_matches_a_direct_reading_of_the_rule_on_random_boards():
    """Brute force over the 36 positions, straight from the wording of §7 component 15."""
    rng = np.random.default_rng(0)

    def reference(s) -> tuple[bool, int, int]:
        b = jax.device_get(s.board)
        owned = np.asarray(s.owned)

        def yield_of(r, c):
            if b.content[r, c] == C.CONTENT_BLOCK:
                return (), frozenset(), 0, 0, frozenset()
            values, programs, credits, energy, blocks = [], set(), 0, 0, set()
            for rr, cc in [(r, c), (r + 1, c), (r - 1, c), (r, c - 1), (r, c + 1)]:
                if not (0 <= rr < 6 and 0 <= cc < 6) or b.siphoned[rr, cc]:
                    continue
                if b.content[rr, cc] == C.CONTENT_BLOCK:
                    blocks.add((rr, cc))
                    if b.block_kind[rr, cc] == C.BLOCK_DATA:
                        values.append(int(b.points[rr, cc]))
                    elif not owned[b.program[rr, cc]]:
                        programs.add(int(b.program[rr, cc]))
                else:
                    credits += int(b.credits[rr, cc])
                    energy += int(b.energy[rr, cc])
            return tuple(sorted(values)), frozenset(programs), credits, energy, frozenset(blocks)

        pr, pc = int(s.player.row), int(s.player.col)
        y = yield_of(pr, pc)
        free = [(r, c) for r in range(6) for c in range(6) if b.content[r, c] != C.CONTENT_BLOCK]
        candidates = [q for q in free if y[4] <= yield_of(*q)[4]] if (y[0] or y[1]) else free
        better = [yield_of(*q) for q in candidates]
        better = [q for q in better if q[0] == y[0] and q[1] == y[1] and q[2] >= y[2] and q[3] >= y[3]
                  and (q[2] > y[2] or q[3] > y[3])]  # fmt: skip
        if not better:
            return False, 0, 0
        return True, max(q[2] for q in better) - y[2], max(q[3] for q in better) - y[3]

    verdicts = set()
    for _ in range(40):
        blocks = rng.random((6, 6)) < 0.3
        state = build(player=PlayerSpec(int(rng.integers(6)), int(rng.integers(6)), data_siphons=1),
                      owned_programs=list(rng.choice(C.PROGRAM_NAMES, 4, replace=False)))  # fmt: skip
        state = state._replace(board=state.board._replace(
            content=jnp.asarray(np.where(blocks, C.CONTENT_BLOCK, C.CONTENT_EMPTY), jnp.int32),
            block_kind=jnp.asarray(np.where(blocks, rng.integers(1, 3, (6, 6)), C.BLOCK_NONE), jnp.int32),
            points=jnp.asarray(rng.integers(1, 4, (6, 6)), jnp.int32),
            program=jnp.asarray(rng.integers(0, 6, (6, 6)), jnp.int32),
            credits=jnp.asarray(rng.integers(0, 3, (6, 6)), jnp.int32),
            energy=jnp.asarray(rng.integers(0, 3, (6, 6)), jnp.int32),
            siphoned=jnp.asarray(rng.random((6, 6)) < 0.15),
        ))
        assert quality(state) == reference(state)
        verdicts.add(quality(state)[0])
    assert verdicts == {True, False}


def test_all_four_adjacent_blocks_are_siphoned_together():
    # §4.2: no "best block" selection; every unsiphoned block of the cross is siphoned at once.
    state = build(
        player=PlayerSpec(2, 2, data_siphons=3),
        blocks=[BlockSpec(3, 2, "data", points=9, spawn_count=9), BlockSpec(1, 2, "data", points=1, spawn_count=1),
                BlockSpec(2, 1, "program", program="CALM", spawn_count=6),
                BlockSpec(2, 3, "data", points=5, spawn_count=3)],
    )  # fmt: skip
    after, outcome = act(state, SIPHON)
    assert describe(after) == expect(
        state, player={"score": 15, "data_siphons": 2},
        blocks=[siphoned_block(block) for block in describe(state)["blocks"]],
        siphoned_cells=[(1, 2), (2, 1), (2, 2), (2, 3), (3, 2)], siphon_centers=[(2, 2)], owned_programs=["CALM"],
        sched_interval=11, sched_next=17, pending_siphon=19,
    )  # fmt: skip
    assert outcome["ends_turn"]


def test_a_corner_siphon_covers_only_on_board_cells_and_the_interval_floor_is_four():
    # §4.2 step 2: the cross holds the player's cell plus each adjacent cell *on the board*; step 6: max(4, i - 1).
    state = build(player=PlayerSpec(0, 0, data_siphons=1),
                  resources=[ResourceSpec(0, 0, energy=1), ResourceSpec(1, 0, credits=2), ResourceSpec(0, 1, energy=3),
                             ResourceSpec(1, 1, credits=3)])  # fmt: skip
    state = state._replace(sched_interval=jnp.asarray(5, jnp.int32), sched_next=jnp.asarray(9, jnp.int32))
    after, _ = act(state, SIPHON)
    assert describe(after) == expect(
        state, player={"credits": 2, "energy": 4, "data_siphons": 0},
        resources=[dict(row=1, col=1, credits=3, energy=0, data_siphon=False)],
        siphoned_cells=[(0, 0), (0, 1), (1, 0)], siphon_centers=[(0, 0)], sched_interval=4, sched_next=14,
    )  # fmt: skip


def test_a_question_block_with_an_owned_program_adds_only_its_current_spawn_count():
    # §4.2: a question block resolves as its hidden content (P already owned stays owned), becomes an ordinary
    # block with spawn 0, and pending_siphon grows by its *current* spawn count (lowered by REDUC here).
    state = build(player=PlayerSpec(2, 2, data_siphons=1), owned_programs=["ROW"],
                  blocks=[BlockSpec(2, 3, "program", program="ROW", spawn_count=1)])  # fmt: skip
    state = set_cells(state, question={(2, 3): True})
    after, _ = act(state, SIPHON)
    assert describe(after) == expect(
        state, player={"data_siphons": 0}, blocks=[siphoned_block(describe(state)["blocks"][0])],
        siphoned_cells=[(1, 2), (2, 1), (2, 2), (2, 3), (3, 2)], siphon_centers=[(2, 2)],
        sched_interval=11, sched_next=17, pending_siphon=1,
    )  # fmt: skip
