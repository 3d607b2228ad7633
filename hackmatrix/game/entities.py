"""Operations on the enemy and transmission slot lists: lookups by cell, list order, append and removal.

All functions are pure and shape-stable; "first in list order" means the alive slot with the smallest ``order``.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C
from hackmatrix.game.state import Enemies, GameState, Transmissions

_BIG = jnp.iinfo(jnp.int32).max


def cell_index(row, col):
    return row * C.BOARD_SIZE + col


def count_grid(alive: Bool[Array, " N"], row: Int[Array, " N"], col: Int[Array, " N"]) -> Int[Array, "6 6"]:
    """Number of alive entities on each cell."""
    onehot = (cell_index(row, col)[:, None] == jnp.arange(C.NUM_CELLS)[None, :]) & alive[:, None]
    return onehot.sum(0, dtype=jnp.int32).reshape(C.BOARD_SIZE, C.BOARD_SIZE)


def enemy_grid(enemies: Enemies) -> Bool[Array, "6 6"]:
    return count_grid(enemies.alive, enemies.row, enemies.col) > 0


def transmission_grid(transmissions: Transmissions) -> Bool[Array, "6 6"]:
    return count_grid(transmissions.alive, transmissions.row, transmissions.col) > 0


def first_in_order(mask: Bool[Array, " N"], order: Int[Array, " N"]) -> tuple[Bool[Array, ""], Int[Array, ""]]:
    """(any, slot) of the first entry in list order among ``mask``; slot is 0 when none."""
    key = jnp.where(mask, order, _BIG)
    return mask.any(), jnp.argmin(key).astype(jnp.int32)


def first_enemy_at(enemies: Enemies, row, col) -> tuple[Bool[Array, ""], Int[Array, ""]]:
    return first_in_order(enemies.alive & (enemies.row == row) & (enemies.col == col), enemies.order)


def first_transmission_at(transmissions: Transmissions, row, col) -> tuple[Bool[Array, ""], Int[Array, ""]]:
    t = transmissions
    return first_in_order(t.alive & (t.row == row) & (t.col == col), t.order)


def first_enemy_grid(enemies: Enemies) -> Int[Array, "6 6"]:
    """Slot of the first enemy (list order) on each cell, or -1 where no enemy stands."""
    on_cell = (cell_index(enemies.row, enemies.col)[:, None] == jnp.arange(C.NUM_CELLS)[None, :]) & enemies.alive[
        :, None
    ]
    key = jnp.where(on_cell, enemies.order[:, None], _BIG)
    slot = jnp.argmin(key, axis=0).astype(jnp.int32)
    return jnp.where(on_cell.any(0), slot, -1).reshape(C.BOARD_SIZE, C.BOARD_SIZE)


def rank_in_order(alive: Bool[Array, " N"], order: Int[Array, " N"]) -> Int[Array, " N"]:
    """Position of each alive slot in list order (0 = oldest); dead slots rank after every alive one."""
    key = jnp.where(alive, order, _BIG)
    return jnp.argsort(jnp.argsort(key, stable=True), stable=True).astype(jnp.int32)


def append_enemy(
    state: GameState, kind, row, col, hp, *, disabled=0, stunned=False, from_siphon=False, from_scheduled=False,
    create=True,
) -> GameState:
    """Append one enemy at the end of the list (dropped if ``create`` is false or the list is full, §2.5)."""
    e = state.enemies
    free = ~e.alive
    slot = jnp.argmax(free)
    do = jnp.asarray(create) & free.any()
    hit = (jnp.arange(C.MAX_ENEMIES) == slot) & do

    def put(old, new):
        return jnp.where(hit, jnp.asarray(new, old.dtype), old)

    enemies = Enemies(
        alive=e.alive | hit, kind=put(e.kind, kind), row=put(e.row, row), col=put(e.col, col), hp=put(e.hp, hp),
        disabled=put(e.disabled, disabled), stunned=put(e.stunned, stunned),
        from_siphon=put(e.from_siphon, from_siphon), from_scheduled=put(e.from_scheduled, from_scheduled),
        order=put(e.order, state.next_order),
    )  # fmt: skip
    return state._replace(enemies=enemies, next_order=state.next_order + do.astype(jnp.int32))


def append_transmission(
    state: GameState, row, col, kind, *, countdown=1, from_siphon=False, from_scheduled=False, create=True
) -> GameState:
    """Append one transmission at the end of the list (nothing happens if ``create`` is false or it is full)."""
    t = state.transmissions
    free = ~t.alive
    slot = jnp.argmax(free)
    do = jnp.asarray(create) & free.any()
    hit = (jnp.arange(C.MAX_TRANSMISSIONS) == slot) & do

    def put(old, new):
        return jnp.where(hit, jnp.asarray(new, old.dtype), old)

    transmissions = Transmissions(
        alive=t.alive | hit, row=put(t.row, row), col=put(t.col, col), countdown=put(t.countdown, countdown),
        kind=put(t.kind, kind), from_siphon=put(t.from_siphon, from_siphon),
        from_scheduled=put(t.from_scheduled, from_scheduled), order=put(t.order, state.next_order),
    )  # fmt: skip
    return state._replace(transmissions=transmissions, next_order=state.next_order + do.astype(jnp.int32))


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
