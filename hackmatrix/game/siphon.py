"""The siphon action (§4.2) and the quality of the position it is used from (§7 component 15)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C
from hackmatrix.game.neighbourhood import CELL_COLS, CELL_ROWS, cross_cells, cross_sum, grid_at
from hackmatrix.game.reductions import reduce_together
from hackmatrix.game.state import GameState


# Sets of programs are int32 bit masks (bit i = program i): testing "is this cell's program in the set" is then
# elementwise, where (6, 6, 23) one-hot comparisons and reductions would cost several times the whole siphon.
_PROGRAM_BITS = 1 << np.arange(C.NUM_PROGRAMS, dtype=np.int32)


def _program_bit(board_program: Int[Array, "6 6"]) -> Int[Array, "6 6"]:
    """The bit of each cell's program (0 for NO_PROGRAM)."""
    return jnp.where(board_program >= 0, jnp.left_shift(1, jnp.maximum(board_program, 0)), 0)


def _contains(program_set: Int[Array, ""], bits: Int[Array, "6 6"]) -> Bool[Array, "6 6"]:
    return (program_set & bits) != 0


def siphon(state: GameState) -> GameState:
    """Siphon the player's cross (§4.2 steps 2-6); the caller checks data_siphons >= 1 and ends the turn.

    Every not-yet-siphoned cell of the cross yields: a data block its points, a program block ownership of its
    program (question blocks as their hidden content, then revealed), both adding their spawn count to
    pending_siphon; any other cell its credits and energy. Then the whole cross is flagged siphoned.
    """
    p, board = state.player, state.board
    cross = cross_cells(p.row, p.col)
    fresh = cross & ~board.siphoned
    block = fresh & (board.content == C.CONTENT_BLOCK)
    loose = fresh & (board.content != C.CONTENT_BLOCK)
    data = block & (board.block_kind == C.BLOCK_DATA)
    program = block & (board.block_kind == C.BLOCK_PROGRAM)

    points, credits, energy, spawn, programs = reduce_together(
        ("sum", jnp.where(data, board.points, 0)), ("sum", jnp.where(loose, board.credits, 0)),
        ("sum", jnp.where(loose, board.energy, 0)), ("sum", jnp.where(block, board.spawn, 0)),
        ("or", jnp.where(program, _program_bit(board.program), 0)),
    )  # fmt: skip
    player = p._replace(score=p.score + points, credits=p.credits + credits, energy=p.energy + energy,
                        data_siphons=p.data_siphons - 1)  # fmt: skip
    new_board = board._replace(
        question=board.question & ~block,
        spawn=jnp.where(block, 0, board.spawn),
        credits=jnp.where(loose, 0, board.credits),
        energy=jnp.where(loose, 0, board.energy),
        siphoned=board.siphoned | cross,
        siphon_center=board.siphon_center | ((CELL_ROWS == p.row) & (CELL_COLS == p.col)),
    )
    return state._replace(
        player=player,
        board=new_board,
        owned=state.owned | ((programs & _PROGRAM_BITS) != 0),
        pending_siphon=state.pending_siphon + spawn,
        sched_interval=jnp.maximum(C.SCHED_MIN_INTERVAL, state.sched_interval - 1),
        sched_next=state.sched_next + C.SCHED_SIPHON_DELAY,
    )


def siphon_quality(state: GameState) -> tuple[Bool[Array, ""], Int[Array, ""], Int[Array, ""]]:
    """(suboptimal, missed_credits, missed_energy) of siphoning from the player's cell (§7 component 15).

    The yield of a position q is empty if q holds a block; otherwise, over the unsiphoned cells of its cross,
    the multiset of data points, the set of unowned programs and the credits / energy on cells without a block.
    A strictly better position yields the same points and programs and more resources. Because a candidate in
    the "valuable" case covers every unsiphoned block of the player's cross, its points and programs equal the
    player's exactly when its cross holds no *extra* data block and no unowned program the player's lacks; in
    the other case the player's points and programs are empty, so the same test applies to every block cell.
    """
    p, board = state.player, state.board
    block = board.content == C.CONTENT_BLOCK
    fresh_block = block & ~board.siphoned
    program_bit = _program_bit(board.program)
    owned = jnp.where(state.owned, _PROGRAM_BITS, 0).sum()
    data = fresh_block & (board.block_kind == C.BLOCK_DATA)
    unowned_program = fresh_block & (board.block_kind == C.BLOCK_PROGRAM) & ~_contains(owned, program_bit)
    loose = ~block & ~board.siphoned
    credits_at = cross_sum(jnp.where(loose, board.credits, 0))
    energy_at = cross_sum(jnp.where(loose, board.energy, 0))

    on_block = grid_at(block, p.row, p.col)  # a player on a block yields nothing
    player_cross = cross_cells(p.row, p.col) & ~on_block
    player_programs, valuable, required_count = reduce_together(
        ("or", jnp.where(player_cross & unowned_program, program_bit, 0)),
        ("or", player_cross & (data | unowned_program)),
        ("sum", (player_cross & fresh_block).astype(jnp.int32)),
    )
    own_credits = jnp.where(on_block, 0, grid_at(credits_at, p.row, p.col))
    own_energy = jnp.where(on_block, 0, grid_at(energy_at, p.row, p.col))

    extra = (data & ~player_cross) | (unowned_program & ~_contains(player_programs, program_bit))
    covers = cross_sum((player_cross & fresh_block).astype(jnp.int32)) == required_count
    candidate = ~block & (covers | ~valuable) & (cross_sum(extra.astype(jnp.int32)) == 0)
    better = (
        candidate
        & (credits_at >= own_credits)
        & (energy_at >= own_energy)
        & ((credits_at > own_credits) | (energy_at > own_energy))
    )
    # A better position has more of at least one resource, so some shortfall is positive exactly when one exists.
    missed_credits, missed_energy = reduce_together(
        ("max", jnp.where(better, credits_at - own_credits, 0)), ("max", jnp.where(better, energy_at - own_energy, 0))
    )
    return (missed_credits > 0) | (missed_energy > 0), missed_credits, missed_energy
