"""The transmission placement procedure (§5.6), drawn in closed form.

The rules make up to 100 uniform cell draws accepting the first free cell out of the player's line of fire, then
up to 100 more accepting any free cell. With ``n1`` acceptable and ``n2`` free cells among the 36, the first phase
succeeds with probability ``1 - (1 - n1/36)^100`` and then yields a uniformly random acceptable cell; otherwise the
second succeeds with ``1 - (1 - n2/36)^100`` and yields a uniformly random free cell; otherwise nothing is placed.
:func:`place_transmission` samples exactly that distribution with a handful of draws and vectorised masks.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from hackmatrix.game import constants as C
from hackmatrix.game import entities
from hackmatrix.game.state import GameState


def _clear_along(obstacles: Int[Array, " 6"], player: Int[Array, ""]) -> Bool[Array, " 6"]:
    """For each position of a line through the player: no obstacle strictly between it and the player."""
    position = jnp.arange(C.BOARD_SIZE)
    near, far = jnp.minimum(position, player), jnp.maximum(position, player)
    through = jnp.cumsum(obstacles)
    return through[far] - obstacles[far] - through[near] <= 0


def line_of_fire(state: GameState) -> Bool[Array, "6 6"]:
    """Cells of the player's row and column with neither an enemy nor a block strictly between them and the player
    (transmissions do not shield). The player's own cell is included."""
    p = state.player
    obstacles = (entities.enemy_grid(state.enemies) | (state.board.content == C.CONTENT_BLOCK)).astype(jnp.int32)
    in_row = _clear_along(obstacles[p.row], p.col)[None, :] & (jnp.arange(C.BOARD_SIZE)[:, None] == p.row)
    in_col = _clear_along(obstacles[:, p.col], p.row)[:, None] & (jnp.arange(C.BOARD_SIZE)[None, :] == p.col)
    return in_row | in_col


def free_cells(state: GameState) -> Bool[Array, "6 6"]:
    """Cells that are not the player's and hold no enemy, transmission or block (exit and pickups may be free)."""
    player = (jnp.arange(C.BOARD_SIZE)[:, None] == state.player.row) & (
        jnp.arange(C.BOARD_SIZE)[None, :] == state.player.col
    )
    return ~(
        player
        | entities.enemy_grid(state.enemies)
        | entities.transmission_grid(state.transmissions)
        | (state.board.content == C.CONTENT_BLOCK)
    )


def _some_draw_hits(cells: Int[Array, ""]) -> Float[Array, ""]:
    """Probability that at least one of ``PLACEMENT_DRAWS`` uniform draws lands on one of ``cells`` cells."""
    return 1.0 - (1.0 - cells / C.NUM_CELLS) ** C.PLACEMENT_DRAWS


def place_transmission(
    state: GameState,
    *,
    key: PRNGKeyArray,
    from_siphon: bool | Bool[Array, ""] = False,
    from_scheduled: bool | Bool[Array, ""] = False,
    create: bool | Bool[Array, ""] = True,
) -> GameState:
    """Place one transmission (countdown 1, uniformly random enemy type, the given origin flags) by §5.6 and append
    it to the list. Nothing changes when no cell is found or ``create`` is false."""
    free = free_cells(state).ravel()
    acceptable = free & ~line_of_fire(state).ravel()
    n_acceptable, n_free = acceptable.sum(dtype=jnp.int32), free.sum(dtype=jnp.int32)
    key_draws, key_kind = jax.random.split(key)
    first_phase, second_phase, pick = jax.random.uniform(key_draws, (3,))
    in_first = first_phase < _some_draw_hits(n_acceptable)
    in_second = ~in_first & (second_phase < _some_draw_hits(n_free))
    pool = jnp.where(in_first, acceptable, free)
    size = pool.sum(dtype=jnp.int32)
    nth = jnp.minimum(jnp.floor(pick * size).astype(jnp.int32), size - 1)
    cell = jnp.argmax(pool & (jnp.cumsum(pool) == nth + 1))
    kind = jax.random.randint(key_kind, (), 0, C.NUM_ENEMY_TYPES)
    return entities.append_transmission(
        state, cell // C.BOARD_SIZE, cell % C.BOARD_SIZE, kind, countdown=1, from_siphon=from_siphon,
        from_scheduled=from_scheduled, create=jnp.asarray(create) & (in_first | in_second),
    )  # fmt: skip


def place_transmissions(
    state: GameState,
    *,
    key: PRNGKeyArray,
    count: Int[Array, ""],
    from_siphon: bool | Bool[Array, ""] = False,
) -> GameState:
    """Place ``count`` transmissions one after another, each seeing the ones placed before it.

    The loop carries only the transmission list, so under ``vmap`` it runs ``max(count)`` times and costs nothing
    when every ``count`` is 0.
    """

    def place_next(carry):
        placed, transmissions, next_order = carry
        after = place_transmission(
            state._replace(transmissions=transmissions, next_order=next_order),
            key=jax.random.fold_in(key, placed), from_siphon=from_siphon,
        )  # fmt: skip
        return placed + 1, after.transmissions, after.next_order

    start = (jnp.int32(0), state.transmissions, state.next_order)
    _, transmissions, next_order = jax.lax.while_loop(lambda carry: carry[0] < count, place_next, start)
    return state._replace(transmissions=transmissions, next_order=next_order)
