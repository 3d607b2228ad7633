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
from jaxtyping import Array, Bool, Float, Int

from hackmatrix.game import bitboard, random_stream, slot_set
from hackmatrix.game import constants as C
from hackmatrix.game.bitboard import Bitboard
from hackmatrix.game.random_stream import RandomStream
from hackmatrix.game.state import GameState, Transmissions

_UNIFORMS_PER_PLACEMENT = 4  # first phase, second phase, which cell, which enemy type


def line_of_fire(player_row: Int[Array, ""], player_col: Int[Array, ""], obstacles: Bitboard) -> Bitboard:
    """Cells of the player's row and column with no obstacle strictly between them and the player."""
    player = bitboard.cell(player_row, player_col)
    in_line = bitboard.no_cells()
    for d_row, d_col in C.DIRECTIONS.tolist():
        ray = player
        for _ in range(C.BOARD_SIZE - 1):  # the first obstacle is in the line; what lies behind it is not
            ray = bitboard.shift(ray, d_row, d_col)
            in_line = in_line | ray
            ray = ray & ~obstacles
    return in_line


def _cells(state: GameState) -> tuple[Bitboard, Bitboard]:
    """(free cells, cells in the line of fire): free cells are not the player's and hold no enemy, transmission or
    block (exit and pickups may be free); enemies and blocks stop the line of fire, transmissions do not."""
    e, t, p = state.enemies, state.transmissions, state.player
    obstacles = bitboard.of_entities(e.alive, e.row, e.col) | bitboard.from_grid(state.board.content == C.CONTENT_BLOCK)
    taken = obstacles | bitboard.of_entities(t.alive, t.row, t.col) | bitboard.cell(p.row, p.col)
    return ~taken, line_of_fire(p.row, p.col, obstacles)


def _some_draw_hits(cells: Int[Array, ""]) -> Float[Array, ""]:
    """Probability that at least one of ``PLACEMENT_DRAWS`` uniform draws lands on one of ``cells`` cells."""
    return 1.0 - (1.0 - cells / C.NUM_CELLS) ** C.PLACEMENT_DRAWS


def _draw(free: Bitboard, in_line_of_fire: Bitboard, uniforms: Float[Array, " 4"]) -> tuple[
    Bool[Array, ""], Int[Array, ""], Int[Array, ""]
]:  # fmt: skip
    """(found, cell index, enemy type) of one placement from its four uniform numbers."""
    acceptable = free & ~in_line_of_fire
    first_phase, second_phase, pick, kind = uniforms[0], uniforms[1], uniforms[2], uniforms[3]
    in_first = first_phase < _some_draw_hits(acceptable.count())
    in_second = ~in_first & (second_phase < _some_draw_hits(free.count()))
    pool = bitboard.choose(in_first, acceptable, free)
    size = pool.count()
    cell = bitboard.nth_cell(pool, jnp.minimum((pick * size).astype(jnp.int32), size - 1))
    return in_first | in_second, cell, jnp.minimum((kind * C.NUM_ENEMY_TYPES).astype(jnp.int32), C.NUM_ENEMY_TYPES - 1)


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
    stay where they are meanwhile, so the free cells and the line of fire are computed once; each iteration writes
    one slot of the list (lowest free slot first, as appending does) with scatters. Under ``vmap`` the loop runs
    ``max(count)`` times and costs next to nothing when every ``count`` is 0.
    """
    free, in_line_of_fire = _cells(state)

    def place_next(carry):
        placed, transmissions, next_order, free, free_slots = carry
        scheduled = jnp.asarray(first_scheduled) & (placed == 0)
        found, cell, kind = _draw(
            free, in_line_of_fire, random_stream.uniform(stream, placed, (_UNIFORMS_PER_PLACEMENT,))
        )
        found = found & (free_slots.size() > 0)
        slot = jnp.where(found, free_slots.nth(jnp.int32(0)), C.MAX_TRANSMISSIONS)  # out of range: dropped
        new = Transmissions(
            alive=jnp.asarray(True), row=cell // C.BOARD_SIZE, col=cell % C.BOARD_SIZE, countdown=jnp.int32(1),
            kind=kind, from_siphon=~scheduled & from_siphon, from_scheduled=scheduled, order=next_order,
        )  # fmt: skip
        transmissions = jax.tree.map(lambda old, value: old.at[slot].set(value, mode="drop"), transmissions, new)
        taken = bitboard.at_index(cell).keep_if(found)
        return placed + 1, transmissions, next_order + found, free & ~taken, free_slots.without(slot)

    start = (jnp.int32(0), state.transmissions, state.next_order, free, slot_set.of(~state.transmissions.alive))
    _, transmissions, next_order, _, _ = jax.lax.while_loop(lambda carry: carry[0] < count, place_next, start)
    return state._replace(transmissions=transmissions, next_order=next_order)
