"""The action validity mask (§3): which of the 28 actions the player may take in a state."""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Bool

from hackmatrix.game import constants as C
from hackmatrix.game.neighbourhood import CELL_COLS, CELL_ROWS, chebyshev, grid_at, on_board
from hackmatrix.game.state import GameState

def direction_mask(state: GameState) -> Bool[Array, " 4"]:
    """§3.1: the adjacent cell is on the board and holds no block, or an enemy stands on it."""
    p, e = state.player, state.enemies
    target_row, target_col = p.row + C.DIRECTIONS[:, 0], p.col + C.DIRECTIONS[:, 1]
    # (cells, 4) and (enemies, 4) comparisons instead of gathers at the four target cells.
    block = (state.board.content == C.CONTENT_BLOCK).reshape(-1, 1)
    at_target = (CELL_ROWS.reshape(-1, 1) == target_row) & (CELL_COLS.reshape(-1, 1) == target_col)
    block_on_target = (block & at_target).any(0)
    enemy_on_target = (e.alive[:, None] & (e.row[:, None] == target_row) & (e.col[:, None] == target_col)).any(0)
    return on_board(target_row, target_col) & (~block_on_target | enemy_on_target)


def program_applicable(state: GameState) -> Bool[Array, " 23"]:
    """§3.3 condition 4 for every program. Enemy conditions count every enemy (hidden, stunned or disabled)."""
    p, e, t, board = state.player, state.enemies, state.transmissions, state.board
    block = board.content == C.CONTENT_BLOCK
    any_enemy = e.alive.any()
    any_transmission = t.alive.any()
    crash_target = (
        (block & (chebyshev(CELL_ROWS, CELL_COLS, p.row, p.col) == 1)).any()
        | (e.alive & (chebyshev(e.row, e.col, p.row, p.col) == 1)).any()
        | (t.alive & (chebyshev(t.row, t.col, p.row, p.col) == 1)).any()
    )
    always = jnp.asarray(True)
    conditions = {
        C.PUSH: any_enemy,
        C.PULL: any_enemy,
        C.CRASH: crash_target,
        C.WARP: any_enemy | any_transmission,
        C.POLY: any_enemy,
        C.WAIT: always,
        C.DEBUG: (e.alive & grid_at(block, e.row, e.col)).any(),
        C.ROW: (e.alive & (e.row == p.row)).any(),
        C.COL: (e.alive & (e.col == p.col)).any(),
        C.UNDO: state.history.count > 0,
        C.STEP: always,
        C.SIPH_PLUS: always,
        C.EXCH: p.credits >= 4,
        C.SHOW: ~state.show,
        C.RESET: p.hp < C.MAX_HP,
        C.CALM: ~state.calm,
        C.D_BOM: (e.alive & (e.kind == C.DAEMON)).any(),
        C.DELAY: any_transmission,
        C.ANTI_V: (e.alive & (e.kind == C.VIRUS)).any(),
        C.SCORE: state.stage < C.NUM_STAGES,
        C.REDUC: (block & ~board.siphoned & (board.spawn > 0)).any(),
        C.ATK_PLUS: state.atk_plus_uses < C.MAX_ATK_PLUS_USES,
        C.HACK: board.siphoned.any(),
    }
    return jnp.stack([conditions[i] for i in range(C.NUM_PROGRAMS)])


def action_mask(state: GameState) -> Bool[Array, " 28"]:
    """§3: True where the action is valid (directions 0-3, siphon 4, programs 5-27)."""
    p = state.player
    programs = (
        state.owned
        & (p.credits >= C.PROGRAM_CREDITS)
        & (p.energy >= C.PROGRAM_ENERGY)
        & program_applicable(state)
    )
    return jnp.concatenate([direction_mask(state), (p.data_siphons >= 1)[None], programs])
