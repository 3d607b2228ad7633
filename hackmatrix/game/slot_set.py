"""Sets of entity-list slots as bits: :class:`SlotSet` holds slots 0-23 in ``low`` and 24-47 in ``high``.

Loops that visit slots one at a time (enemy actions, transmission placement) keep the slots still to visit, or
still free, as a ``SlotSet``: choosing, testing and removing a slot are a few scalar operations per board, where
any operation over the whole slot array would cost as much as the rest of a loop iteration under ``vmap``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Int

from hackmatrix.game import bitboard
from hackmatrix.game import constants as C

SLOTS_PER_WORD = 24
assert max(C.MAX_ENEMIES, C.MAX_TRANSMISSIONS) <= 2 * SLOTS_PER_WORD


class SlotSet(NamedTuple):
    low: Int[Array, "*shape"]
    high: Int[Array, "*shape"]

    def size(self) -> Int[Array, "*shape"]:
        return jax.lax.population_count(self.low) + jax.lax.population_count(self.high)

    def contains(self, slot: Int[Array, "*shape"]) -> Bool[Array, "*shape"]:
        word = jnp.where(slot < SLOTS_PER_WORD, self.low, self.high)
        return (word >> (slot % SLOTS_PER_WORD)) & 1 == 1

    def nth(self, n: Int[Array, "*shape"]) -> Int[Array, "*shape"]:
        """The ``n``-th slot (0-based, ascending) of a set with more than ``n`` slots."""
        low_size = jax.lax.population_count(self.low)
        in_high = n >= low_size
        bit = bitboard.nth_set_bit(jnp.where(in_high, self.high, self.low), jnp.where(in_high, n - low_size, n))
        return bit + jnp.where(in_high, SLOTS_PER_WORD, 0)

    def without(self, slot: Int[Array, "*shape"]) -> SlotSet:
        bit = jnp.left_shift(1, slot % SLOTS_PER_WORD)
        in_high = slot >= SLOTS_PER_WORD
        return SlotSet(jnp.where(in_high, self.low, self.low & ~bit), jnp.where(in_high, self.high & ~bit, self.high))


def of(member: Bool[Array, " n"]) -> SlotSet:
    """The slots where ``member`` holds."""
    slot = jnp.arange(member.shape[0], dtype=jnp.int32)
    bits = jnp.where(member, jnp.left_shift(1, slot % SLOTS_PER_WORD), 0)  # distinct bits: their sum is their union
    return SlotSet(bits[:SLOTS_PER_WORD].sum(dtype=jnp.int32), bits[SLOTS_PER_WORD:].sum(dtype=jnp.int32))


def choose(condition: Bool[Array, ""], if_true: SlotSet, if_false: SlotSet) -> SlotSet:
    return SlotSet(jnp.where(condition, if_true.low, if_false.low), jnp.where(condition, if_true.high, if_false.high))
