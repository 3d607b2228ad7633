"""Stages: generation (§6.2), completion (§6.1) and the start of a game (§6.3).

"Draw a cell, redraw until eligible" for N distinct blocks is a uniformly random N-subset of the eligible cells:
the N eligible cells with the smallest random keys. Block contents do not affect whether an attempt is valid, so
the attempts loop redraws only the cells and the contents are drawn once for the accepted attempt.

``generate_stage``, ``complete_stage`` and ``new_game`` take a ``where`` flag. The generation itself sits in a
``while_loop`` that runs once where the flag holds and not at all elsewhere, so under ``vmap`` a step in which no
board completes a stage pays almost nothing for it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int, PRNGKeyArray

from hackmatrix.game import bitboard, entities, pathfinding, placement, random_stream
from hackmatrix.game import constants as C
from hackmatrix.game.bitboard import Bitboard
from hackmatrix.game.random_stream import RandomStream
from hackmatrix.game.state import Board, GameState, initial_state, player_at

_CORNER_ROWS = np.array([r for r, _ in C.CORNERS], np.int32)
_CORNER_COLS = np.array([c for _, c in C.CORNERS], np.int32)
_CELL_ROWS, _CELL_COLS = np.indices((C.BOARD_SIZE, C.BOARD_SIZE), dtype=np.int32)
_IS_CORNER = np.isin(_CELL_ROWS, (0, C.BOARD_SIZE - 1)) & np.isin(_CELL_COLS, (0, C.BOARD_SIZE - 1))
_FILL_START = (0, 0)
_NUM_BONUSES = 3  # credits, energy, data siphon (§6.3)
# Counters of the stage's random draws (random_stream); block attempts use _ATTEMPTS + attempt number.
_EXIT, _COUNT, _DATA, _QUESTION, _POINTS, _PROGRAMS, _AMOUNT, _CREDITS, _TRANSMISSIONS, _ATTEMPTS = range(10)
_INDEX_BITS = 6  # low key bits that make random keys of up to 64 entries distinct


def _random_ranks(stream: RandomStream, counter: Int[Array, ""] | int, eligible: Bool[Array, " n"]) -> Int[Array, " n"]:
    """A uniformly random order of the ``eligible`` entries: each one's rank (0-based) among them."""
    index = jnp.arange(eligible.shape[0], dtype=jnp.uint32)
    key = (random_stream.bits(stream, counter, eligible.shape) >> _INDEX_BITS << _INDEX_BITS) | index
    return (eligible[None, :] & (key[None, :] < key[:, None])).sum(1)


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
    stream: RandomStream, eligible: Bool[Array, "6 6"], count: Int[Array, ""], exit_cell: Bitboard,
    active: Bool[Array, ""],
) -> Bool[Array, "6 6"]:  # fmt: skip
    """Block cells of the first valid attempt among ``GENERATION_ATTEMPTS`` (none if every attempt fails)."""

    def searching(carry):
        attempt, _, valid = carry
        return active & ~valid & (attempt < C.GENERATION_ATTEMPTS)

    def attempt(carry):
        number, _, _ = carry
        cells = (_random_ranks(stream, _ATTEMPTS + number, eligible.ravel()) < count).reshape(eligible.shape)
        cells = cells & eligible
        return number + 1, cells, blocks_valid(bitboard.from_grid(cells), exit_cell, check=searching(carry))

    none = jnp.zeros_like(eligible)
    _, cells, valid = jax.lax.while_loop(searching, attempt, (jnp.int32(0), none, jnp.asarray(False)))
    return cells & valid


def _new_board(
    state: GameState, stream: RandomStream, active: Bool[Array, ""]
) -> tuple[Board, Int[Array, ""], Int[Array, ""]]:
    """§6.2 steps 3-7: a fresh board around the player, and the exit position (row, col)."""
    p = state.player
    on_player = (_CORNER_ROWS == p.row) & (_CORNER_COLS == p.col)
    exit_corner = jnp.argmin(jnp.where(on_player, len(C.CORNERS), _random_ranks(stream, _EXIT, ~on_player)))
    exit_row, exit_col = jnp.asarray(_CORNER_ROWS)[exit_corner], jnp.asarray(_CORNER_COLS)[exit_corner]
    is_exit = (_CELL_ROWS == exit_row) & (_CELL_COLS == exit_col)
    is_pickup = _IS_CORNER & ~is_exit & ~((_CELL_ROWS == p.row) & (_CELL_COLS == p.col))

    eligible = ~_IS_CORNER & ~entities.enemy_grid(state.enemies) & ~entities.transmission_grid(state.transmissions)
    count = jnp.minimum(
        C.MIN_BLOCKS + random_stream.below(stream, _COUNT, C.MAX_BLOCKS_DRAWN - C.MIN_BLOCKS + 1),
        eligible.sum(dtype=jnp.int32),
    )
    is_block = _block_cells(stream, eligible, count, bitboard.from_grid(is_exit), active)

    shape = (C.BOARD_SIZE, C.BOARD_SIZE)
    is_data = is_block & (random_stream.uniform(stream, _DATA, shape) < 0.5)
    is_program = is_block & ~is_data
    points = 1 + random_stream.below(stream, _POINTS, 9, shape)
    # Program blocks take distinct programs: the first ones of a random order of all programs, in cell order.
    program_rank = jnp.cumsum(is_program.ravel()).reshape(shape) - 1
    program_order = _random_ranks(stream, _PROGRAMS, jnp.ones(C.NUM_PROGRAMS, bool))
    program = ((program_order == program_rank[..., None]) * jnp.arange(C.NUM_PROGRAMS)).sum(-1)
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
    return board, exit_row, exit_col


def generate_stage(state: GameState, *, key: PRNGKeyArray, where: bool | Bool[Array, ""] = True) -> GameState:
    """§6.2 for ``state.stage`` around the player's position where ``where`` holds; elsewhere unchanged.

    Stage-scoped values are reset, the UNDO history is emptied, pending_siphon is kept, enemies and
    transmissions persist, and ``stage`` new transmissions are placed on the new board.
    """
    generating = jnp.asarray(where)

    def generate(carry):
        pending = carry[0]
        stream = random_stream.from_key(key)
        board, exit_row, exit_col = _new_board(state, stream, pending)
        fresh = placement.place_transmissions(
            state._replace(board=board, exit_row=exit_row, exit_col=exit_col),
            stream=random_stream.substream(stream, _TRANSMISSIONS), count=jnp.where(pending, state.stage, 0),
        )  # fmt: skip
        return jnp.asarray(False), board, exit_row, exit_col, fresh.transmissions, fresh.next_order

    start = (generating, state.board, state.exit_row, state.exit_col, state.transmissions, state.next_order)
    _, board, exit_row, exit_col, transmissions, next_order = jax.lax.while_loop(lambda c: c[0], generate, start)

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
