"""The player's part of a step (§4): a direction (attack or move), a siphon or a program.

The enemy phase, stage completion, reward and observation are the step orchestrator's. All three action kinds
are computed and the result picked per field, which is what ``vmap`` would do with a switch anyway.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Int, PRNGKeyArray

from hackmatrix.game import constants as C
from hackmatrix.game.entities import damage_enemies
from hackmatrix.game.line_of_fire import line_of_fire
from hackmatrix.game.neighbourhood import CELL_COLS, CELL_ROWS, grid_at
from hackmatrix.game.outcome import ActionOutcome
from hackmatrix.game.programs import apply_program
from hackmatrix.game.select import select_tree
from hackmatrix.game.siphon import siphon, siphon_quality
from hackmatrix.game.state import GameState


def direction_action(state: GameState, direction: Int[Array, ""]) -> tuple[GameState, ActionOutcome]:
    """§4.1: attack the line-of-fire target, or move one cell (collecting a data-siphon pickup).

    Attacks and moves end the turn; a move onto the exit cell reports ``reached_exit`` instead.
    """
    p, t = state.player, state.transmissions
    target = line_of_fire(state, direction)
    enemies, enemy_kills = damage_enemies(state.enemies, target.enemy, p.attack_damage)
    transmission_kills = (target.transmission & ~t.from_scheduled).sum(dtype=jnp.int32)
    moves = ~target.hits_transmission & ~target.hits_enemy

    d_row, d_col = jnp.asarray(C.DIRECTIONS)[direction]
    row = jnp.where(moves, p.row + d_row, p.row)
    col = jnp.where(moves, p.col + d_col, p.col)
    content = state.board.content
    destination = grid_at(content, row, col)
    collected = moves & (destination == C.CONTENT_PICKUP)
    reached_exit = moves & (destination == C.CONTENT_EXIT)
    pickup = collected & (CELL_ROWS == row) & (CELL_COLS == col)

    after = state._replace(
        player=p._replace(row=row, col=col, data_siphons=p.data_siphons + collected.astype(jnp.int32)),
        board=state.board._replace(content=jnp.where(pickup, C.CONTENT_EMPTY, content)),
        enemies=enemies,
        transmissions=t._replace(alive=t.alive & ~target.transmission),
    )
    outcome = ActionOutcome.nothing()._replace(
        ends_turn=~reached_exit,
        reached_exit=reached_exit,
        kills=enemy_kills + transmission_kills,
        pickup_collected=collected,
    )
    return after, outcome


def siphon_action(state: GameState) -> tuple[GameState, ActionOutcome]:
    """§4.2: rate the position on the unchanged state, then siphon; the turn ends."""
    suboptimal, missed_credits, missed_energy = siphon_quality(state)
    outcome = ActionOutcome.nothing()._replace(
        ends_turn=jnp.asarray(True),
        siphon_suboptimal=suboptimal,
        missed_credits=missed_credits,
        missed_energy=missed_energy,
    )
    return siphon(state), outcome


def apply_player_action(
    state: GameState, action: Int[Array, ""], *, key: PRNGKeyArray
) -> tuple[GameState, ActionOutcome]:
    """Execute the player part of a *valid* ``action`` (0-27, see ``mask.action_mask``) on ``state``."""
    is_direction = action < C.ACTION_SIPHON
    is_siphon = action == C.ACTION_SIPHON
    moved = direction_action(state, jnp.clip(action, 0, C.ACTION_SIPHON - 1))
    siphoned = siphon_action(state)
    programmed = apply_program(
        state, jnp.clip(action - C.FIRST_PROGRAM_ACTION, 0, C.NUM_PROGRAMS - 1), key=key
    )
    return select_tree(is_direction, moved, select_tree(is_siphon, siphoned, programmed))
