"""The target of a direction action (§4.1 step 1): the first transmission, enemy or block along the line."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C
from hackmatrix.game.entities import first_in_order
from hackmatrix.game.neighbourhood import CELL_COLS, CELL_ROWS
from hackmatrix.game.state import GameState

_NOWHERE = C.BOARD_SIZE  # farther than any cell on the line


class Target(NamedTuple):
    """One-hot slot masks of what the line of fire hits; both all-False when the player moves instead."""

    transmission: Bool[Array, " T"]
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

    def steps(row, col):
        return _steps_along(row, col, p.row, p.col, d_row, d_col)

    t_steps = jnp.where(t.alive, steps(t.row, t.col), _NOWHERE)
    e_steps = jnp.where(e.alive, steps(e.row, e.col), _NOWHERE)
    b_steps = jnp.where(state.board.content == C.CONTENT_BLOCK, steps(CELL_ROWS, CELL_COLS), _NOWHERE)
    stop = jnp.minimum(jnp.minimum(t_steps.min(), e_steps.min()), b_steps.min())
    hits_transmission, t_slot = first_in_order((t_steps == stop) & (stop < _NOWHERE), t.order)
    hits_enemy, e_slot = first_in_order((e_steps == stop) & (stop < _NOWHERE), e.order)
    hits_enemy &= ~hits_transmission
    return Target(
        transmission=(jnp.arange(C.MAX_TRANSMISSIONS) == t_slot) & hits_transmission,
        enemy=(jnp.arange(C.MAX_ENEMIES) == e_slot) & hits_enemy,
    )
