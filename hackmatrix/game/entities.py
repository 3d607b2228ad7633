"""Operations on the enemy and transmission slot lists: counts by cell, damage and removal.

All functions are pure and shape-stable.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C
from hackmatrix.game.state import Enemies


def cell_index(row, col):
    return row * C.BOARD_SIZE + col


def count_grid(alive: Bool[Array, " N"], row: Int[Array, " N"], col: Int[Array, " N"]) -> Int[Array, "6 6"]:
    """Number of alive entities on each cell."""
    onehot = (cell_index(row, col)[:, None] == jnp.arange(C.NUM_CELLS)[None, :]) & alive[:, None]
    return onehot.sum(0, dtype=jnp.int32).reshape(C.BOARD_SIZE, C.BOARD_SIZE)


def remove_dead_enemies(enemies: Enemies) -> tuple[Enemies, Int[Array, ""]]:
    """Remove alive enemies with hp <= 0; returns the new list and the kills (those not from_scheduled)."""
    dead = enemies.alive & (enemies.hp <= 0)
    kills = (dead & ~enemies.from_scheduled).sum(dtype=jnp.int32)
    return enemies._replace(alive=enemies.alive & ~dead), kills


def damage_enemies(enemies: Enemies, hit: Bool[Array, " E"], damage) -> tuple[Enemies, Int[Array, ""]]:
    """Deal ``damage`` to each alive enemy in ``hit``: hp -= damage (not below 0), survivors stunned, dead removed.

    Returns the new list and the number of kills (not from_scheduled).
    """
    hit = hit & enemies.alive
    hp = jnp.where(hit, jnp.maximum(enemies.hp - damage, 0), enemies.hp)
    stunned = enemies.stunned | (hit & (hp > 0))
    return remove_dead_enemies(enemies._replace(hp=hp, stunned=stunned))
