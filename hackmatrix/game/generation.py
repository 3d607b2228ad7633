"""Stages: generation (§6.2), completion (§6.1) and the start of a game (§6.3).

"Draw a cell, redraw until eligible" is a uniform draw among the eligible cells, done directly on bitboards (one
uniform number per block). Block contents do not affect whether an attempt is valid, so the attempts loop redraws
only the cells and the contents are drawn once for the accepted attempt.

``generate_stage``, ``complete_stage`` and ``new_game`` take a ``where`` flag. The generation itself sits in a
``while_loop`` that runs once where the flag holds and not at all elsewhere, so under ``vmap`` a step in which no
board completes a stage pays almost nothing for it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int, PRNGKeyArray

from hackmatrix.game import bitboard, pathfinding, placement, random_stream
from hackmatrix.game import constants as C
from hackmatrix.game.bitboard import Bitboard
from hackmatrix.game.random_stream import RandomStream
from hackmatrix.game.state import Board, GameState, initial_state, player_at

_CORNER_ROWS = np.array([r for r, _ in C.CORNERS], np.int32)
_CORNER_COLS = np.array([c for _, c in C.CORNERS], np.int32)
_FILL_START = (0, 0)
_NUM_BONUSES = 3  # credits, energy, data siphon (§6.3)
# Counters of the stage's random draws (random_stream); picks j of a draw use counter + j.
_EXIT, _COUNT, _DATA, _QUESTION, _POINTS, _AMOUNT, _CREDITS, _TRANSMISSIONS = range(8)
_PROGRAMS = 100
_ATTEMPTS = 1000  # attempt a uses _ATTEMPTS + MAX_BLOCKS_DRAWN * a
_CORNER_CELLS = [r * C.BOARD_SIZE + c for r, c in C.CORNERS]


def _draw_distinct(stream: RandomStream, counter: Int[Array, ""] | int, pool: Bitboard, count: Int[Array, ""],
                   most: int) -> tuple[Bitboard, Int[Array, " most"]]:  # fmt: skip
    """``count`` (at most ``most``) distinct members (indices 0-35) drawn one by one uniformly from ``pool``: the
    set drawn and the indices in draw order. Redrawing until eligible is the same as drawing among the eligible."""

    def draw(j, carry):
        drawn, pool, order = carry
        left = pool.count()
        index = bitboard.nth_cell(pool, random_stream.below(stream, counter + j, jnp.maximum(left, 1)))
        take = bitboard.at_index(index).keep_if((j < count) & (left > 0))
        return drawn | take, pool & ~take, order.at[j].set(index)

    start = (bitboard.no_cells(), pool, jnp.zeros(most, jnp.int32))
    drawn, _, order = jax.lax.fori_loop(0, most, draw, start)
    return drawn, order


def blocks_valid(blocks: Bitboard, exit_cell: Bitboard, *, check: Bool[Array, ""]) -> Bool[Array, ""]:
    """§6.2 step 6.3: connected (flood fill from (0, 0) over block-free cells, entering the exit but not leaving it
    unless the fill starts there, reaches every block-free cell) and siphonable (every block has a block-free
    neighbour). The fill only runs where ``check`` holds."""
    open_cells = ~blocks
    start = bitboard.cell(jnp.int32(_FILL_START[0]), jnp.int32(_FILL_START[1]))
    walled_exit = exit_cell & ~start
    _, region = pathfinding.spread(start.keep_if(check), open_cells & ~walled_exit, bitboard.no_cells())
    reached = region | (bitboard.grow(region) & walled_exit)
    siphonable = ~(blocks & ~bitboard.grow(open_cells)).any()
    return reached.equals(open_cells) & siphonable


def _block_cells(
    stream: RandomStream, eligible: Bitboard, count: Int[Array, ""], exit_cell: Bitboard, active: Bool[Array, ""]
) -> Bitboard:
    """Block cells of the first valid attempt among ``GENERATION_ATTEMPTS`` (none if every attempt fails)."""

    def searching(carry):
        attempt, _, valid = carry
        return active & ~valid & (attempt < C.GENERATION_ATTEMPTS)

    def attempt(carry):
        number, _, _ = carry
        cells, _ = _draw_distinct(stream, _ATTEMPTS + C.MAX_BLOCKS_DRAWN * number, eligible, count, C.MAX_BLOCKS_DRAWN)
        return number + 1, cells, blocks_valid(cells, exit_cell, check=searching(carry))

    _, cells, valid = jax.lax.while_loop(searching, attempt, (jnp.int32(0), bitboard.no_cells(), jnp.asarray(False)))
    return cells.keep_if(valid)


def _new_board(
    state: GameState, stream: RandomStream, active: Bool[Array, ""]
) -> tuple[Board, Int[Array, ""], Int[Array, ""]]:
    """§6.2 steps 3-7: a fresh board around the player, and the exit position (row, col)."""
    p, e, t = state.player, state.enemies, state.transmissions
    corners = bitboard.union_of(bitboard.at_index(jnp.asarray(_CORNER_CELLS)))
    player = bitboard.cell(p.row, p.col)
    exit_cell, _ = _draw_distinct(stream, _EXIT, corners & ~player, jnp.int32(1), 1)
    exit_index = bitboard.index(exit_cell)
    pickups = corners & ~player & ~exit_cell

    eligible = ~(corners | bitboard.of_entities(e.alive, e.row, e.col) | bitboard.of_entities(t.alive, t.row, t.col))
    count = jnp.minimum(
        C.MIN_BLOCKS + random_stream.below(stream, _COUNT, C.MAX_BLOCKS_DRAWN - C.MIN_BLOCKS + 1), eligible.count()
    )
    is_block = bitboard.to_grid(_block_cells(stream, eligible, count, exit_cell, active))
    is_exit, is_pickup = bitboard.to_grid(exit_cell), bitboard.to_grid(pickups)

    shape = (C.BOARD_SIZE, C.BOARD_SIZE)
    is_data = is_block & (random_stream.uniform(stream, _DATA, shape) < 0.5)
    is_program = is_block & ~is_data
    points = 1 + random_stream.below(stream, _POINTS, 9, shape)
    # Program blocks take distinct programs drawn one by one (indices 0-22 as a set of "cells"); the k-th program
    # block in cell order gets the k-th drawn, which makes every assignment of distinct programs equally likely.
    all_programs = bitboard.union_of(bitboard.at_index(jnp.arange(C.NUM_PROGRAMS)))
    _, programs = _draw_distinct(
        stream, _PROGRAMS, all_programs, is_program.sum(dtype=jnp.int32), C.MAX_BLOCKS_DRAWN
    )
    program_rank = jnp.cumsum(is_program.ravel()).reshape(shape) - 1
    program = programs[jnp.clip(program_rank, 0, C.MAX_BLOCKS_DRAWN - 1)]
    content = jnp.select(
        [is_exit, is_pickup, is_block], [C.CONTENT_EXIT, C.CONTENT_PICKUP, C.CONTENT_BLOCK], C.CONTENT_EMPTY
    ).astype(jnp.int32)

    has_resource = (content == C.CONTENT_EMPTY) | (content == C.CONTENT_PICKUP)
    amount_draw = random_stream.uniform(stream, _AMOUNT, shape)
    amount = 1 + (amount_draw[..., None] >= jnp.cumsum(jnp.asarray(C.RESOURCE_AMOUNT_PROBS))[:-1]).sum(-1)
    is_credits = random_stream.uniform(stream, _CREDITS, shape) < 0.5
    none = jnp.zeros(shape, bool)
    board = Board(
        content=content,
        block_kind=jnp.select([is_data, is_program], [C.BLOCK_DATA, C.BLOCK_PROGRAM], C.BLOCK_NONE).astype(jnp.int32),
        question=is_block & (random_stream.uniform(stream, _QUESTION, shape) < C.QUESTION_PROB),
        points=jnp.where(is_data, points, 0),
        program=jnp.where(is_program, program, C.NO_PROGRAM),
        spawn=jnp.where(is_data, points, jnp.where(is_program, jnp.asarray(C.PROGRAM_SPAWN_COST)[program], 0)),
        credits=jnp.where(has_resource & is_credits, amount, 0),
        energy=jnp.where(has_resource & ~is_credits, amount, 0),
        siphoned=none,
        siphon_center=none,
    )
    return board, exit_index // C.BOARD_SIZE, exit_index % C.BOARD_SIZE


def generate_stage(state: GameState, *, key: PRNGKeyArray, where: bool | Bool[Array, ""] = True) -> GameState:
    """§6.2 for ``state.stage`` around the player's position where ``where`` holds; elsewhere unchanged.

    Stage-scoped values are reset, the UNDO history is emptied, pending_siphon is kept, enemies and
    transmissions persist, and ``stage`` new transmissions are placed on the new board.
    """
    generating = jnp.asarray(where)

    def generate(carry):
        pending, seed = carry[:2]
        stream = RandomStream(seed)
        board, exit_row, exit_col = _new_board(state, stream, pending)
        fresh = placement.place_transmissions(
            state._replace(board=board, exit_row=exit_row, exit_col=exit_col),
            stream=random_stream.substream(stream, _TRANSMISSIONS), count=jnp.where(pending, state.stage, 0),
        )  # fmt: skip
        # The seed changes in the carry so that XLA cannot hoist the draws out of this usually idle loop.
        return jnp.asarray(False), ~seed, board, exit_row, exit_col, fresh.transmissions, fresh.next_order

    start = (
        generating, random_stream.from_key(key).seed, state.board, state.exit_row, state.exit_col,
        state.transmissions, state.next_order,
    )  # fmt: skip
    _, _, board, exit_row, exit_col, transmissions, next_order = jax.lax.while_loop(lambda c: c[0], generate, start)

    interval = C.SCHED_BASE - state.stage
    return state._replace(
        board=board, exit_row=exit_row, exit_col=exit_col, transmissions=transmissions, next_order=next_order,
        turn=jnp.where(generating, 0, state.turn),
        sched_interval=jnp.where(generating, interval, state.sched_interval),
        sched_next=jnp.where(generating, interval, state.sched_next),
        show=state.show & ~generating, calm=state.calm & ~generating, step_pending=state.step_pending & ~generating,
        atk_plus_uses=jnp.where(generating, 0, state.atk_plus_uses),
        history=state.history._replace(count=jnp.where(generating, 0, state.history.count)),  # clear_history
    )  # fmt: skip


def complete_stage(state: GameState, *, key: PRNGKeyArray, where: bool | Bool[Array, ""] = True) -> GameState:
    """§6.1 where ``where`` holds: hp + 1 (at most 3), then the next stage is generated, or after stage 8 the
    stage becomes 9 (victory) and nothing is generated."""
    completing = jnp.asarray(where)
    p = state.player
    state = state._replace(
        player=p._replace(hp=jnp.where(completing, jnp.minimum(p.hp + 1, C.MAX_HP), p.hp)),
        stage=state.stage + completing.astype(jnp.int32),
    )
    return generate_stage(state, key=key, where=completing & (state.stage <= C.NUM_STAGES))


def new_game(key: PRNGKeyArray, *, where: bool | Bool[Array, ""] = True) -> GameState:
    """§6.3: a random corner, hp 3, attack 1, one of the three starting bonuses, and stage 1 generated.

    Where ``where`` is false stage 1 is not generated (the state is not a playable game): an auto-resetting batch
    can ask for fresh games only for the boards that need one.
    """
    key_player, key_stage = jax.random.split(key)
    stream = random_stream.from_key(key_player)
    corner = random_stream.below(stream, 0, len(C.CORNERS))
    bonus = random_stream.below(stream, 1, _NUM_BONUSES)
    player = player_at(
        jnp.asarray(_CORNER_ROWS)[corner], jnp.asarray(_CORNER_COLS)[corner],
        credits=jnp.where(bonus == 0, C.START_BONUS_CREDITS, 0), energy=jnp.where(bonus == 1, C.START_BONUS_ENERGY, 0),
        data_siphons=jnp.where(bonus == 2, 1, 0),
    )  # fmt: skip
    return generate_stage(initial_state(player), key=key_stage, where=where)
