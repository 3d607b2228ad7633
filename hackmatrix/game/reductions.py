"""Reductions over slot and cell arrays, written the way XLA on CPU runs them fast under ``vmap``.

Measured on the 2-core CPU with 256 vmapped states: every separate reduction over a ``(48,)`` row costs about as
much as four elementwise passes, an ``argmin`` about four reductions, and an all-pairs ``(48, 48)`` comparison
about thirty. So "first in list order" is a ``min`` and an equality, several ``any()`` share one bitwise-or
reduction, several sums / maxima of one expression share one variadic reduction (XLA would otherwise recompute
the expression inside each), "first of the entries on each cell" is a scatter-min into the 36 cells, and "the
n-th alive slot" is found by population counts instead of a cumulative sum.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int, UInt32

from hackmatrix.game import bitboard
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


_FOLDS = {
    "sum": (jnp.add, lambda dtype: 0),
    "max": (jnp.maximum, lambda dtype: jnp.iinfo(dtype).min),
    "or": (jnp.bitwise_or, lambda dtype: 0),
}


def reduce_together(*terms: tuple[str, Array]) -> tuple[Array, ...]:
    """Reduce each ``(fold, array)`` over all its axes, in one pass; folds are "sum", "max" (integers) and "or".

    All arrays have one shape. ``reduce_together(("sum", a), ("max", b))`` is ``(a.sum(), b.max())``.
    """
    folds, arrays = zip(*terms, strict=True)
    arrays = tuple(jnp.asarray(array) for array in arrays)
    inits = tuple(jnp.asarray(_FOLDS[fold][1](array.dtype), array.dtype) for fold, array in zip(folds, arrays))

    def combine(left, right):
        return tuple(_FOLDS[fold][0](a, b) for fold, a, b in zip(folds, left, right, strict=True))

    return tuple(jax.lax.reduce(arrays, inits, combine, tuple(range(arrays[0].ndim))))


def first_per_cell(member: Bool[Array, " N"], cell: Int[Array, " N"], order: Int[Array, " N"]) -> Bool[Array, " N"]:
    """For each member, whether it comes first in list order among the members standing on (or bound for) its
    ``cell`` (0-35)."""
    cell = jnp.where(member, cell, 0)
    first = jnp.full(C.NUM_CELLS, _LAST).at[cell].min(jnp.where(member, order, _LAST))
    return member & (first[cell] == order)


def alive_slot(alive: Bool[Array, " N"], word: UInt32[Array, ""]) -> Int[Array, ""]:
    """Slot of the ``(word mod count)``-th True entry of ``alive`` in slot order (``len(alive)`` if none is True).

    Uniform over the True entries for a uniform 32-bit ``word`` (bias under ``count / 2**32``). The flags are
    packed into 32-bit words and the entry found by population counts (first the word, then a binary search
    inside it): a handful of scalar operations where a cumulative sum over the slots costs quadratic work in XLA
    on CPU.
    """
    num_words = -(-alive.shape[0] // 32)
    padded = jnp.pad(alive, (0, 32 * num_words - alive.shape[0])).reshape(num_words, 32)
    words = (padded.astype(jnp.uint32) << jnp.arange(32, dtype=jnp.uint32)).sum(1, dtype=jnp.uint32)
    counts = jax.lax.population_count(words).astype(jnp.int32)
    through = jnp.cumsum(counts)  # over a few words only
    index = (word % jnp.maximum(through[-1], 1).astype(jnp.uint32)).astype(jnp.int32)
    chosen_word = (through <= index).sum()
    rank = index - (through - counts)[chosen_word]
    position = bitboard.nth_set_bit(jax.lax.bitcast_convert_type(words[chosen_word], jnp.int32), rank)
    return jnp.where(through[-1] > 0, 32 * chosen_word + position, alive.shape[0])
