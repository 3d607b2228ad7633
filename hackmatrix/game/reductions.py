"""Reductions over slot and cell arrays, written the way XLA on CPU runs them fast under ``vmap``.

Measured on the 2-core CPU with 256 vmapped states: every separate reduction over a ``(48,)`` row costs about as
much as four elementwise passes, an ``argmin`` about four reductions, and an all-pairs ``(48, 48)`` comparison
about thirty. So "first in list order" is a ``min`` and an equality, several ``any()`` share one bitwise-or
reduction, and "first of the entries on each cell" is a scatter-min into the 36 cells.
"""

from __future__ import annotations

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
    order_or_last = jnp.where(member, order, _LAST)
    first = jnp.full(C.NUM_CELLS, _LAST).at[jnp.where(member, cell, 0)].min(order_or_last)
    return member & (first[jnp.where(member, cell, 0)] == order)
