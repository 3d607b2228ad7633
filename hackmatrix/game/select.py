"""Choosing between two versions of a pytree without touching the leaves they share."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool


def select_tree(pred: Bool[Array, ""], on_true, on_false):
    """``jnp.where(pred, a, b)`` leaf by leaf, passing through (unselected) every leaf that is the same object.

    Results derived from one state with ``_replace`` share their untouched leaves, so large fields such as the
    UNDO history never get a select at all (XLA would fold ``where(c, x, x)`` too, but only after building it).
    """
    return jax.tree.map(lambda a, b: a if a is b else jnp.where(pred, a, b), on_true, on_false)
