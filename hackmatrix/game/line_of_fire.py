"""The target of a direction action (§4.1 step 1): the first transmission, enemy or block along the line."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C
from hackmatrix.game.neighbourhood import CELL_COLS, CELL_ROWS
from hackmatrix.game.reductions import first_mask
from hackmatrix.game.state import GameState

_NOWHERE = C.BOARD_SIZE  # farther than any cell on the line


class Target(NamedTuple):
    """What the line of fire hits: one-hot slot masks, all False where nothing of that kind is hit."""

    hits_transmission: Bool[Array, ""]
    transmission: Bool[Array, " T"]
    hits_enemy: Bool[Array, ""]
    enemy: Bool[Array, " E"]


def _steps_along(row, col, player_row, player_col, d_row, d_col) -> Int[Array, "..."]:
    """How many steps from the player along (d_row, d_col) reach (row, col); ``_NOWHERE`` if off that ray."""
    rel_row, rel_col = row - player_row, col - player_col
    along = rel_row * d_row + rel_col * d_col
    on_line = rel_row * d_col - rel_col * d_row == 0
    return jnp.where(on_line & (along >= 1), along, _NOWHERE)


def line_of_fire(state: GameState, direction: Int[Array, ""]) -> Target:
    """Search successive cells from the player in ``direction`` (0-3) until the board edge.

    On the first cell holding anything: a transmission there is the target, else the first enemy (list order)
    standing there, else (a block) nothing. Range is unlimited; the player's own cell is never searched.
    """
    p, e, t = state.player, state.enemies, state.transmissions
    d_row, d_col = jnp.asarray(C.DIRECTIONS)[direction]

    def steps(alive, row, col):
        return jnp.where(alive, _steps_along(row, col, p.row, p.col, d_row, d_col), _NOWHERE)

    t_steps = steps(t.alive, t.row, t.col)
    e_steps = steps(e.alive, e.row, e.col)
    b_steps = steps(state.board.content == C.CONTENT_BLOCK, CELL_ROWS, CELL_COLS).reshape(-1)
    # One reduction finds the stop: codes 2*steps order the cells, and on one cell a transmission (even code)
    # comes before an enemy or a block (odd code).
    code = jnp.concatenate([2 * t_steps, 2 * e_steps + 1, 2 * b_steps + 1]).min()
    stop = code // 2
    hits_transmission = (code % 2 == 0) & (stop < _NOWHERE)
    # A cell holds at most one transmission (§2.5), so the one at the stop is the target.
    transmission = (t_steps == stop) & hits_transmission
    hits_enemy, enemy = first_mask((e_steps == stop) & (stop < _NOWHERE) & ~hits_transmission, e.order)
    return Target(hits_transmission=hits_transmission, transmission=transmission, hits_enemy=hits_enemy,
                  enemy=enemy)  # fmt: skip
