"""The action validity mask (§3): which of the 28 actions the player may take in a state.

Every condition is an "any" over the enemies, the transmissions or the cells; each of the three families is
reduced once (``any_each``), since separate reductions dominate the cost of the mask under ``vmap``.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Bool

from hackmatrix.game import constants as C
from hackmatrix.game.neighbourhood import CELL_COLS, CELL_ROWS, chebyshev, grid_at, on_board, surrounding_cells
from hackmatrix.game.reductions import any_each
from hackmatrix.game.state import GameState


def action_mask(state: GameState) -> Bool[Array, " 28"]:
    """§3: True where the action is valid (directions 0-3, siphon 4, programs 5-27).

    Programs need ownership, both costs and their applicability condition; enemy conditions count every enemy
    (hidden cryptogs, stunned and disabled ones too).
    """
    p, e, t, board = state.player, state.enemies, state.transmissions, state.board
    d_row, d_col = C.DIRECTIONS[:, 0], C.DIRECTIONS[:, 1]
    block = board.content == C.CONTENT_BLOCK

    enemy_rel_row, enemy_rel_col = e.row - p.row, e.col - p.col
    (
        any_enemy, enemy_in_row, enemy_in_col, enemy_on_block, enemy_around, any_daemon, any_virus,
        *enemy_next_to,
    ) = any_each(
        e.alive, e.alive & (enemy_rel_row == 0), e.alive & (enemy_rel_col == 0),
        e.alive & grid_at(block, e.row, e.col), e.alive & (chebyshev(e.row, e.col, p.row, p.col) == 1),
        e.alive & (e.kind == C.DAEMON), e.alive & (e.kind == C.VIRUS),
        *(e.alive & (enemy_rel_row == dr) & (enemy_rel_col == dc) for dr, dc in C.DIRECTIONS),
    )  # fmt: skip
    any_transmission, transmission_around = any_each(
        t.alive, t.alive & (chebyshev(t.row, t.col, p.row, p.col) == 1)
    )
    cell_rel_row, cell_rel_col = (CELL_ROWS - p.row).reshape(-1), (CELL_COLS - p.col).reshape(-1)
    flat_block = block.reshape(-1)
    block_around, reducible, any_siphoned, *block_next_to = any_each(
        flat_block & surrounding_cells(p.row, p.col).reshape(-1),
        flat_block & ~board.siphoned.reshape(-1) & (board.spawn.reshape(-1) > 0),
        board.siphoned.reshape(-1),
        *(flat_block & (cell_rel_row == dr) & (cell_rel_col == dc) for dr, dc in C.DIRECTIONS),
    )

    directions = on_board(p.row + d_row, p.col + d_col) & (
        ~jnp.stack(block_next_to) | jnp.stack(enemy_next_to)
    )
    always = jnp.asarray(True)
    applicable = {
        C.PUSH: any_enemy,
        C.PULL: any_enemy,
        C.CRASH: block_around | enemy_around | transmission_around,
        C.WARP: any_enemy | any_transmission,
        C.POLY: any_enemy,
        C.WAIT: always,
        C.DEBUG: enemy_on_block,
        C.ROW: enemy_in_row,
        C.COL: enemy_in_col,
        C.UNDO: state.history.count > 0,
        C.STEP: always,
        C.SIPH_PLUS: always,
        C.EXCH: p.credits >= 4,
        C.SHOW: ~state.show,
        C.RESET: p.hp < C.MAX_HP,
        C.CALM: ~state.calm,
        C.D_BOM: any_daemon,
        C.DELAY: any_transmission,
        C.ANTI_V: any_virus,
        C.SCORE: state.stage < C.NUM_STAGES,
        C.REDUC: reducible,
        C.ATK_PLUS: state.atk_plus_uses < C.MAX_ATK_PLUS_USES,
        C.HACK: any_siphoned,
    }
    programs = (
        state.owned
        & (p.credits >= C.PROGRAM_CREDITS)
        & (p.energy >= C.PROGRAM_ENERGY)
        & jnp.stack([applicable[i] for i in range(C.NUM_PROGRAMS)])
    )
    return jnp.concatenate([directions, (p.data_siphons >= 1)[None], programs])
