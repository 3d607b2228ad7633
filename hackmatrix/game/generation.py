"""Stages: generation (§6.2), completion (§6.1) and the start of a game (§6.3).

"Draw a cell, redraw until eligible" for N distinct blocks is a uniformly random N-subset of the eligible cells,
sampled directly as the N smallest of per-cell uniform keys. Block contents do not affect whether an attempt is
valid, so the attempts loop redraws only the cells and the contents are drawn once for the accepted attempt.

``generate_stage`` and ``complete_stage`` take a ``where`` flag: boards where it is false come back unchanged, and
their loops do not iterate, so a vmapped step can call them on every board at little cost when few complete a
stage.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int, PRNGKeyArray

from hackmatrix.game import constants as C
from hackmatrix.game import entities, history, pathfinding, placement
from hackmatrix.game.pathfinding import Bitboard
from hackmatrix.game.state import Board, GameState, initial_state, player_at

_CORNER_ROWS = np.array([r for r, _ in C.CORNERS], np.int32)
_CORNER_COLS = np.array([c for _, c in C.CORNERS], np.int32)
_ROW_OF_CELL = np.arange(C.BOARD_SIZE)[:, None]
_COL_OF_CELL = np.arange(C.BOARD_SIZE)[None, :]
_IS_CORNER = np.isin(_ROW_OF_CELL, (0, C.BOARD_SIZE - 1)) & np.isin(_COL_OF_CELL, (0, C.BOARD_SIZE - 1))
_FILL_START = (0, 0)


def _at(row: Int[Array, ""], col: Int[Array, ""]) -> Bool[Array, "6 6"]:
    return (_ROW_OF_CELL == row) & (_COL_OF_CELL == col)


def blocks_valid(blocks: Bitboard, exit_cell: Bitboard, *, check: Bool[Array, ""]) -> Bool[Array, ""]:
    """§6.2 step 6.3: connected (flood fill from (0, 0) over block-free cells, entering the exit but not leaving it
    unless the fill starts there, reaches every block-free cell) and siphonable (every block has a block-free
    neighbour). The fill only runs where ``check`` holds."""
    open_cells = ~blocks
    start = pathfinding.cell_bit(jnp.int32(_FILL_START[0]), jnp.int32(_FILL_START[1]))
    walled_exit = exit_cell & ~start
    _, region = pathfinding.spread(start.keep_if(check), open_cells & ~walled_exit, pathfinding.no_cells())
    reached = region | (pathfinding.grow(region) & walled_exit)
    connected = reached.equals(open_cells)
    siphonable = ~(blocks & ~pathfinding.grow(open_cells)).any()
    return connected & siphonable


def _draw_block_cells(
    eligible: Bool[Array, "6 6"], count: Int[Array, ""], exit_cell: Bitboard, *, key: PRNGKeyArray,
    where: Bool[Array, ""],
) -> Bool[Array, "6 6"]:  # fmt: skip
    """Block cells of the first valid attempt among ``GENERATION_ATTEMPTS`` (none if every attempt fails)."""
    chosen_rank = jnp.arange(C.MAX_BLOCKS_DRAWN) < count

    def attempt_cells(attempt):
        keys = jnp.where(eligible.ravel(), jax.random.uniform(jax.random.fold_in(key, attempt), (C.NUM_CELLS,)), 2.0)
        _, smallest = jax.lax.top_k(-keys, C.MAX_BLOCKS_DRAWN)
        cells = ((smallest[:, None] == jnp.arange(C.NUM_CELLS)[None, :]) & chosen_rank[:, None]).any(0)
        return cells.reshape(C.BOARD_SIZE, C.BOARD_SIZE)

    def searching(carry):
        attempt, _, valid = carry
        return where & ~valid & (attempt < C.GENERATION_ATTEMPTS)

    def attempt(carry):
        number, _, _ = carry
        cells = attempt_cells(number)
        return number + 1, cells, blocks_valid(pathfinding.from_grid(cells), exit_cell, check=searching(carry))

    none = jnp.zeros((C.BOARD_SIZE, C.BOARD_SIZE), bool)
    _, cells, valid = jax.lax.while_loop(searching, attempt, (jnp.int32(0), none, jnp.asarray(False)))
    return cells & valid


def _new_board(state: GameState, *, key: PRNGKeyArray, where: Bool[Array, ""]) -> tuple[Board, Int[Array, "2"]]:
    """§6.2 steps 3-7: a fresh board around the player, and the exit position (row, col)."""
    keys = jax.random.split(key, 9)
    p = state.player
    on_player_corner = (_CORNER_ROWS == p.row) & (_CORNER_COLS == p.col)
    exit_corner = jnp.argmax(jnp.where(on_player_corner, -1.0, jax.random.uniform(keys[0], (len(C.CORNERS),))))
    exit_row, exit_col = jnp.asarray(_CORNER_ROWS)[exit_corner], jnp.asarray(_CORNER_COLS)[exit_corner]
    is_exit = _at(exit_row, exit_col)
    is_pickup = _IS_CORNER & ~is_exit & ~_at(p.row, p.col)

    eligible = ~_IS_CORNER & ~entities.enemy_grid(state.enemies) & ~entities.transmission_grid(state.transmissions)
    count = jnp.minimum(
        jax.random.randint(keys[1], (), C.MIN_BLOCKS, C.MAX_BLOCKS_DRAWN + 1), eligible.sum(dtype=jnp.int32)
    )
    is_block = _draw_block_cells(eligible, count, pathfinding.from_grid(is_exit), key=keys[2], where=where)

    shape = (C.BOARD_SIZE, C.BOARD_SIZE)
    is_data = is_block & jax.random.bernoulli(keys[3], 0.5, shape)
    is_program = is_block & ~is_data
    points = jax.random.randint(keys[4], shape, 1, 10)
    # Program blocks take distinct programs: the first ones of a random permutation, in cell order.
    program_rank = jnp.cumsum(is_program.ravel()).reshape(shape) - 1
    program = jax.random.permutation(keys[5], C.NUM_PROGRAMS)[jnp.clip(program_rank, 0, C.NUM_PROGRAMS - 1)]
    content = jnp.select(
        [is_exit, is_pickup, is_block], [C.CONTENT_EXIT, C.CONTENT_PICKUP, C.CONTENT_BLOCK], C.CONTENT_EMPTY
    ).astype(jnp.int32)

    has_resource = (content == C.CONTENT_EMPTY) | (content == C.CONTENT_PICKUP)
    amount_draw = jax.random.uniform(keys[6], shape)
    amount = 1 + (amount_draw[..., None] >= jnp.cumsum(jnp.asarray(C.RESOURCE_AMOUNT_PROBS))[:-1]).sum(-1)
    is_credits = jax.random.bernoulli(keys[7], 0.5, shape)
    none = jnp.zeros(shape, bool)
    board = Board(
        content=content,
        block_kind=jnp.select([is_data, is_program], [C.BLOCK_DATA, C.BLOCK_PROGRAM], C.BLOCK_NONE).astype(jnp.int32),
        question=is_block & jax.random.bernoulli(keys[8], C.QUESTION_PROB, shape),
        points=jnp.where(is_data, points, 0),
        program=jnp.where(is_program, program, C.NO_PROGRAM),
        spawn=jnp.where(is_data, points, jnp.where(is_program, jnp.asarray(C.PROGRAM_SPAWN_COST)[program], 0)),
        credits=jnp.where(has_resource & is_credits, amount, 0),
        energy=jnp.where(has_resource & ~is_credits, amount, 0),
        siphoned=none,
        siphon_center=none,
    )
    return board, jnp.stack([exit_row, exit_col])


def generate_stage(state: GameState, *, key: PRNGKeyArray, where: bool | Bool[Array, ""] = True) -> GameState:
    """§6.2 for ``state.stage`` around the player's position, where ``where`` holds (elsewhere unchanged)."""
    generating = jnp.asarray(where)
    key_board, key_transmissions = jax.random.split(key)
    board, exit_cell = _new_board(state, key=key_board, where=generating)
    interval = C.SCHED_BASE - state.stage

    def chosen(new, old):
        return jax.tree.map(lambda n, o: jnp.where(generating, n, o), new, old)

    state = state._replace(
        board=chosen(board, state.board), exit_row=chosen(exit_cell[0], state.exit_row),
        exit_col=chosen(exit_cell[1], state.exit_col), turn=chosen(0, state.turn),
        sched_interval=chosen(interval, state.sched_interval), sched_next=chosen(interval, state.sched_next),
        show=state.show & ~generating, calm=state.calm & ~generating, step_pending=state.step_pending & ~generating,
        atk_plus_uses=chosen(0, state.atk_plus_uses),
        history=state.history._replace(count=chosen(0, state.history.count)),
    )  # fmt: skip
    return placement.place_transmissions(
        state, key=key_transmissions, count=jnp.where(generating, state.stage, 0)
    )


def complete_stage(state: GameState, *, key: PRNGKeyArray, where: bool | Bool[Array, ""] = True) -> GameState:
    """§6.1 where ``where`` holds: hp + 1 (at most 3), then the next stage is generated, or after stage 8 the
    stage becomes 9 (victory) and nothing is generated."""
    completing = jnp.asarray(where)
    victory = state.stage >= C.NUM_STAGES
    p = state.player
    state = state._replace(
        player=p._replace(hp=jnp.where(completing, jnp.minimum(p.hp + 1, C.MAX_HP), p.hp)),
        stage=state.stage + completing.astype(jnp.int32),
    )
    return generate_stage(state, key=key, where=completing & ~victory)


def new_game(key: PRNGKeyArray) -> GameState:
    """§6.3: a random corner, hp 3, attack 1, one of the three starting bonuses, and stage 1 generated."""
    key_corner, key_bonus, key_stage = jax.random.split(key, 3)
    corner = jax.random.randint(key_corner, (), 0, len(C.CORNERS))
    bonus = jax.random.randint(key_bonus, (), 0, 3)
    player = player_at(
        jnp.asarray(_CORNER_ROWS)[corner], jnp.asarray(_CORNER_COLS)[corner],
        credits=jnp.where(bonus == 0, C.START_BONUS_CREDITS, 0), energy=jnp.where(bonus == 1, C.START_BONUS_ENERGY, 0),
        data_siphons=jnp.where(bonus == 2, 1, 0),
    )  # fmt: skip
    return generate_stage(initial_state(player), key=key_stage)
