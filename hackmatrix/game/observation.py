"""What the agent sees (spec §8): player features, owned programs, a 6x6x42 grid and the action mask."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from hackmatrix.game import constants as C
from hackmatrix.game.entities import cell_index
from hackmatrix.game.mask import action_mask
from hackmatrix.game.reductions import first_per_cell
from hackmatrix.game.state import GameState

# Normalisers of §8.
_CREDITS_SCALE = 50.0
_ENERGY_SCALE = 50.0
_SIPHONS_SCALE = 10.0
_ATTACK_SCALE = 2.0
_HP_SCALE = 3.0
_POINTS_SCALE = 9.0
_SPAWN_SCALE = 9.0
_COUNTDOWN_SCALE = 4.0
_RESOURCE_SCALE = 3.0


class Observation(NamedTuple):
    player: Float[Array, " 10"]  # §8.1
    programs: Int[Array, " 23"]  # §8.2, 1 where owned
    grid: Float[Array, "6 6 42"]  # §8.3, grid[r, c] is board cell (r, c)
    flat: Float[Array, " 1545"]  # player, programs (as float), grid flattened row-major: the network input
    action_mask: Bool[Array, " 28"]  # True where the action is valid (§3)


def player_features(state: GameState) -> Float[Array, " 10"]:
    p = state.player
    f = lambda x: jnp.asarray(x, jnp.float32)  # noqa: E731
    return jnp.stack([
        f(p.row) / (C.BOARD_SIZE - 1), f(p.col) / (C.BOARD_SIZE - 1), f(p.hp) / _HP_SCALE,
        jnp.minimum(f(p.credits) / _CREDITS_SCALE, 1.0), jnp.minimum(f(p.energy) / _ENERGY_SCALE, 1.0),
        (f(state.stage) - 1) / (C.NUM_STAGES - 1), f(p.data_siphons) / _SIPHONS_SCALE,
        (f(p.attack_damage) - 1) / _ATTACK_SCALE, f(state.show), f(state.calm),
    ])  # fmt: skip


def enemy_channels(state: GameState) -> Float[Array, "6 6 7"]:
    """Channels 0-6: the first enemy (list order) on each cell, all 0 when it is a hidden cryptog.

    Each enemy that comes first on its cell writes its own row of features there: a scatter of at most one row per
    cell, about four times faster under ``vmap`` than an argmin over every (enemy, cell) pair and a gather."""
    e = state.enemies
    cell = cell_index(e.row, e.col)
    hidden = (e.kind == C.CRYPTOG) & (e.row != state.player.row) & (e.col != state.player.col) & ~state.show
    shown = first_per_cell(e.alive, cell, e.order) & ~hidden
    features = jnp.concatenate(
        [e.kind[:, None] == jnp.arange(C.NUM_ENEMY_TYPES), (e.hp / _HP_SCALE)[:, None], e.stunned[:, None],
         e.from_siphon[:, None]],
        axis=-1, dtype=jnp.float32,
    )  # fmt: skip
    grid = jnp.zeros((C.NUM_CELLS, features.shape[-1]), jnp.float32)
    grid = grid.at[jnp.where(shown, cell, C.NUM_CELLS)].set(features, mode="drop")
    return grid.reshape(C.BOARD_SIZE, C.BOARD_SIZE, -1)


def block_channels(state: GameState) -> Float[Array, "6 6 29"]:
    """Channels 7-35. A question block shows only its question flag; its hidden content stays hidden."""
    b = state.board
    is_block = b.content == C.CONTENT_BLOCK
    question = is_block & b.question
    data = is_block & ~b.question & (b.block_kind == C.BLOCK_DATA)
    program = is_block & ~b.question & (b.block_kind == C.BLOCK_PROGRAM)
    program_onehot = program[..., None] & (b.program[..., None] == jnp.arange(C.NUM_PROGRAMS))
    scalar = lambda x: jnp.asarray(x, jnp.float32)[..., None]  # noqa: E731
    return jnp.concatenate([
        scalar(data), scalar(program), scalar(question), scalar(jnp.where(data, b.points / _POINTS_SCALE, 0.0)),
        scalar(is_block & b.siphoned), program_onehot.astype(jnp.float32),
        scalar(jnp.where((data | program) & ~b.siphoned, b.spawn / _SPAWN_SCALE, 0.0)),  # 0 once siphoned
    ], axis=-1)  # fmt: skip


def transmission_countdowns(state: GameState) -> Float[Array, "6 6"]:
    """Channel 36: min(countdown / 4, 1) where a transmission lies (at most one per cell)."""
    t = state.transmissions
    value = jnp.minimum(t.countdown / _COUNTDOWN_SCALE, 1.0).astype(jnp.float32)
    cell = jnp.where(t.alive, cell_index(t.row, t.col), C.NUM_CELLS)
    return jnp.zeros(C.NUM_CELLS, jnp.float32).at[cell].add(value, mode="drop").reshape(C.BOARD_SIZE, C.BOARD_SIZE)


def cell_channels(state: GameState) -> Float[Array, "6 6 6"]:
    """Channels 36-41: transmission, visible resources, pickup, exit, siphon centre."""
    b = state.board
    visible = (b.content != C.CONTENT_BLOCK) | b.siphoned
    return jnp.stack([
        transmission_countdowns(state), jnp.where(visible, b.credits / _RESOURCE_SCALE, 0.0),
        jnp.where(visible, b.energy / _RESOURCE_SCALE, 0.0), b.content == C.CONTENT_PICKUP,
        b.content == C.CONTENT_EXIT, b.siphon_center,
    ], axis=-1).astype(jnp.float32)  # fmt: skip


def observe(state: GameState) -> Observation:
    """The §8 observation of one (unbatched) state."""
    player = player_features(state)
    programs = state.owned.astype(jnp.int32)
    grid = jnp.concatenate([enemy_channels(state), block_channels(state), cell_channels(state)], axis=-1)
    flat = jnp.concatenate([player, programs.astype(jnp.float32), grid.reshape(-1)])
    return Observation(player=player, programs=programs, grid=grid, flat=flat, action_mask=action_mask(state))
