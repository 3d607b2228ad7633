"""Cheap counter-based random numbers for the game's many small draws.

``jax.random`` (threefry) runs as a small loop of its own per call, which under ``vmap`` on CPU costs far more than
the few numbers the game needs, and far more again inside the game's own loops. A :class:`RandomStream` is a seed
hashed from a JAX key; every number after that is a hash of (seed, counter, index): two rounds of the
``lowbias32`` integer mixer (C. Wellons), whose outputs pass the usual avalanche and uniformity tests. Draws with
different counters, or different indices of one draw, are independent for all the game's purposes.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PRNGKeyArray, UInt32

_GOLDEN = 0x9E3779B9  # spreads consecutive counters over the 32-bit range
_INDEX_STEP = 0x632BE5AB


class RandomStream(NamedTuple):
    seed: UInt32[Array, " 2"]


def from_key(key: PRNGKeyArray) -> RandomStream:
    """A stream seeded by the key's own bits, hashed (any key implementation works). Keys handed to a step are
    themselves outputs of ``jax.random.split``, i.e. random bits, so this costs no threefry call."""
    typed = jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
    words = (jax.random.key_data(key) if typed else key).ravel().astype(jnp.uint32)
    seed = jnp.uint32(_GOLDEN)
    for k in range(words.shape[0]):
        seed = _mix(seed ^ words[k])
    return RandomStream(jnp.stack([seed, _mix(seed ^ jnp.uint32(_INDEX_STEP))]))


def _mix(x: UInt32[Array, "*shape"]) -> UInt32[Array, "*shape"]:
    x = (x ^ (x >> 16)) * jnp.uint32(0x7FEB352D)
    x = (x ^ (x >> 15)) * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def bits(stream: RandomStream, counter: Int[Array, ""] | int, shape: tuple[int, ...] = ()) -> UInt32[Array, "*shape"]:
    """Uniform 32-bit words, one per element of ``shape``, for draw number ``counter``."""
    index = jnp.arange(math.prod(shape), dtype=jnp.uint32).reshape(shape)
    start = jnp.asarray(counter).astype(jnp.uint32) * jnp.uint32(_GOLDEN)
    return _mix(_mix(stream.seed[0] ^ (start + index * jnp.uint32(_INDEX_STEP))) ^ stream.seed[1])


def uniform(stream: RandomStream, counter: Int[Array, ""] | int, shape: tuple[int, ...] = ()) -> Float[Array, "*shape"]:
    """Uniform floats in [0, 1) with 24 random bits."""
    return (bits(stream, counter, shape) >> 8).astype(jnp.float32) * (1.0 / (1 << 24))


def below(stream: RandomStream, counter: Int[Array, ""] | int, bound: Int[Array, ""] | int,
          shape: tuple[int, ...] = ()) -> Int[Array, "*shape"]:  # fmt: skip
    """Uniform integers in [0, bound) (bound >= 1); the bias is below bound / 2**24."""
    return jnp.minimum((uniform(stream, counter, shape) * bound).astype(jnp.int32), jnp.asarray(bound) - 1)


def substream(stream: RandomStream, counter: Int[Array, ""] | int) -> RandomStream:
    """An independent stream, e.g. one per iteration of a loop."""
    return RandomStream(bits(stream, counter, (2,)))
