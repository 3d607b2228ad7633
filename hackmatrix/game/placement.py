"""The transmission placement procedure (§5.6), drawn in closed form.

The rules make up to 100 uniform cell draws accepting the first free cell out of the player's line of fire, then
up to 100 more accepting any free cell. With ``n1`` acceptable and ``n2`` free cells among the 36, the first phase
succeeds with probability ``1 - (1 - n1/36)^100`` and then yields a uniformly random acceptable cell; otherwise the
second succeeds with ``1 - (1 - n2/36)^100`` and yields a uniformly random free cell; otherwise nothing is placed.
That distribution is sampled directly from four uniform numbers, with the candidate cells as bitboards.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from hackmatrix.game import bitboard, entities, random_stream
from hackmatrix.game import constants as C
from hackmatrix.game.bitboard import Bitboard
from hackmatrix.game.random_stream import RandomStream
from hackmatrix.game.state import GameState

_UNIFORMS_PER_PLACEMENT = 4  # first phase, second phase, which cell, which enemy type


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


def _free_cells(state: GameState) -> Bitboard:
    """Cells that are not the player's and hold no enemy, transmission or block (exit and pickups may be free)."""
    taken = (
        entities.enemy_grid(state.enemies)
        | entities.transmission_grid(state.transmissions)
        | (state.board.content == C.CONTENT_BLOCK)
    )
    return ~(bitboard.from_grid(taken) | bitboard.cell(state.player.row, state.player.col))


def _some_draw_hits(cells: Int[Array, ""]) -> Float[Array, ""]:
    """Probability that at least one of ``PLACEMENT_DRAWS`` uniform draws lands on one of ``cells`` cells."""
    return 1.0 - (1.0 - cells / C.NUM_CELLS) ** C.PLACEMENT_DRAWS


def _place(
    state: GameState, free: Bitboard, in_line_of_fire: Bitboard, uniforms: Float[Array, " 4"], *,
    from_siphon, from_scheduled, create,
) -> tuple[GameState, Bitboard]:  # fmt: skip
    """One placement given the free cells, the line of fire and four uniform numbers; also returns the cell taken
    (empty if none)."""
    acceptable = free & ~in_line_of_fire
    first_phase, second_phase, pick, kind = uniforms[0], uniforms[1], uniforms[2], uniforms[3]
    in_first = first_phase < _some_draw_hits(acceptable.count())
    in_second = ~in_first & (second_phase < _some_draw_hits(free.count()))
    placed = jnp.asarray(create) & (in_first | in_second)
    pool = bitboard.choose(in_first, acceptable, free)
    size = pool.count()
    row, col = bitboard.nth_cell(pool, jnp.minimum((pick * size).astype(jnp.int32), size - 1))
    kind = jnp.minimum((kind * C.NUM_ENEMY_TYPES).astype(jnp.int32), C.NUM_ENEMY_TYPES - 1)
    # Computed once per board here, not once per slot inside the append (XLA would fuse and repeat it).
    row, col, kind, placed = jax.lax.optimization_barrier((row, col, kind, placed))
    state = entities.append_transmission(
        state, row, col, kind, countdown=1, from_siphon=from_siphon, from_scheduled=from_scheduled, create=placed
    )
    return state, bitboard.cell(row, col).keep_if(placed)


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
    state, _ = _place(
        state, _free_cells(state), bitboard.from_grid(line_of_fire(state)),
        jax.random.uniform(key, (_UNIFORMS_PER_PLACEMENT,)), from_siphon=from_siphon,
        from_scheduled=from_scheduled, create=create,
    )  # fmt: skip
    return state


def place_transmissions(
    state: GameState,
    *,
    stream: RandomStream,
    count: Int[Array, ""],
    first_scheduled: bool | Bool[Array, ""] = False,
    from_siphon: bool | Bool[Array, ""] = False,
) -> GameState:
    """Place ``count`` transmissions one after another, each seeing the ones placed before it.

    The first one is flagged from_scheduled if ``first_scheduled``, every other one gets ``from_siphon`` (the enemy
    phase places its scheduled transmission, then the siphon ones, in one loop). Enemies, blocks and the player
    stay where they are meanwhile, so only the transmission list is carried: under ``vmap`` the loop runs
    ``max(count)`` times and costs next to nothing when every ``count`` is 0.
    """
    in_line_of_fire = bitboard.from_grid(line_of_fire(state))

    def place_next(carry):
        placed, transmissions, next_order, free = carry
        scheduled = jnp.asarray(first_scheduled) & (placed == 0)
        after, taken = _place(
            state._replace(transmissions=transmissions, next_order=next_order), free, in_line_of_fire,
            random_stream.uniform(stream, placed, (_UNIFORMS_PER_PLACEMENT,)), from_siphon=~scheduled & from_siphon,
            from_scheduled=scheduled, create=True,
        )  # fmt: skip
        return placed + 1, after.transmissions, after.next_order, free & ~taken

    start = (jnp.int32(0), state.transmissions, state.next_order, _free_cells(state))
    _, transmissions, next_order, _ = jax.lax.while_loop(lambda carry: carry[0] < count, place_next, start)
    return state._replace(transmissions=transmissions, next_order=next_order)
