"""Reductions over slot and cell arrays, written the way XLA on CPU runs them fast under ``vmap``.

Measured on the 2-core CPU with 256 vmapped states: every separate reduction over a ``(48,)`` row costs about as
much as four elementwise passes, an ``argmin`` about four reductions, and an all-pairs ``(48, 48)`` comparison
about thirty. So "first in list order" is a ``min`` and an equality, several ``any()`` share one bitwise-or
reduction, "first of the entries on each cell" is a scatter-min into the 36 cells, and "the n-th alive slot" is
found by population counts instead of a cumulative sum.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from hackmatrix.game import constants as C

_LAST = jnp.iinfo(jnp.int32).max


def first_mask(mask: Bool[Array, " N"], order: Int[Array, " N"]) -> tuple[Bool[Array, ""], Bool[Array, " N"]]:
    """(any, one-hot) of the first entry of ``mask`` in list order (alive slots have distinct ``order``)."""
    first = jnp.where(mask, order, _LAST).min()
    return first < _LAST, mask & (order == first)


def any_each(*masks: Bool[Array, " N"]) -> tuple[Bool[Array, ""], ...]:
    """``tuple(m.any() for m in masks)`` in one pass: the masks are bits of one int32 per slot (at most 31)."""
    bits = sum(mask.astype(jnp.int32) << i for i, mask in enumerate(masks))
    union = jnp.bitwise_or.reduce(bits, axis=None)
    return tuple((union >> i) & 1 == 1 for i in range(len(masks)))


def first_per_cell(member: Bool[Array, " N"], cell: Int[Array, " N"], order: Int[Array, " N"]) -> Bool[Array, " N"]:
    """For each member, whether it comes first in list order among the members standing on (or bound for) its
    ``cell`` (0-35)."""
    cell = jnp.where(member, cell, 0)
    first = jnp.full(C.NUM_CELLS, _LAST).at[cell].min(jnp.where(member, order, _LAST))
    return member & (first[cell] == order)


def nth_alive(alive: Bool[Array, " N"], index: Int[Array, ""]) -> Int[Array, ""]:
    """Slot of the ``index``-th (0-based) True entry of ``alive`` in slot order (``len(alive)`` if there is none).

    The flags are packed into 32-bit words and the entry found by population counts (first the word, then a
    binary search inside it): a handful of scalar operations where a cumulative sum over the slots costs
    quadratic work in XLA on CPU.
    """
    num_words = -(-alive.shape[0] // 32)
    padded = jnp.pad(alive, (0, 32 * num_words - alive.shape[0])).reshape(num_words, 32)
    words = (padded.astype(jnp.uint32) << jnp.arange(32, dtype=jnp.uint32)).sum(1, dtype=jnp.uint32)
    counts = jax.lax.population_count(words).astype(jnp.int32)
    through = jnp.cumsum(counts)  # over a few words only
    word = jnp.minimum((through <= index).sum(), num_words - 1)
    rank = index - (through - counts)[word]
    bits = words[word]
    position = jnp.zeros((), jnp.int32)
    for width in (16, 8, 4, 2, 1):
        window = (bits >> position.astype(jnp.uint32)) & jnp.uint32((1 << width) - 1)
        below = jax.lax.population_count(window).astype(jnp.int32)
        skip = below <= rank
        rank = jnp.where(skip, rank - below, rank)
        position = jnp.where(skip, position + width, position)
    return jnp.where(index < through[-1], 32 * word + position, alive.shape[0])
