"""The environment protocol the trainer drives (functional, jit/vmap/scan friendly).

An environment is an immutable ``eqx.Module`` with two pure functions on a *single* environment:

- ``reset(key) -> (env_state, obs)``
- ``step(env_state, action, key) -> (env_state, obs, reward, done, info)``

``obs`` is a pytree with at least ``obs.flat`` (``Float[Array, " obs"]``, the network input) and
``obs.action_mask`` (``Bool[Array, " actions"]``, True where the action is valid). ``info`` is a (possibly nested)
dict of fixed-shape numeric arrays; trainers report the mean of every leaf over a rollout under its
"/"-joined key path (``info["reward"]["kills"]`` -> ``"reward/kills"``), except the keys listed in
``info_max_keys``, which are reduced with ``max``. Batching is done by the caller with ``jax.vmap``.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import equinox as eqx
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray


class Environment(eqx.Module):
    """Abstract base class of every environment."""

    info_max_keys: ClassVar[tuple[str, ...]] = ()

    @property
    @abc.abstractmethod
    def num_actions(self) -> int:
        """Size of the discrete action space (and of ``obs.action_mask``)."""

    @property
    @abc.abstractmethod
    def observation_size(self) -> int:
        """Length of ``obs.flat``."""

    @abc.abstractmethod
    def reset(self, key: PRNGKeyArray) -> tuple[Any, Any]:
        """A fresh episode: ``(env_state, obs)``."""

    @abc.abstractmethod
    def step(
        self, state: Any, action: Int[Array, ""], key: PRNGKeyArray
    ) -> tuple[Any, Any, Float[Array, ""], Bool[Array, ""], dict[str, Any]]:
        """One transition: ``(env_state, obs, reward, done, info)``. Undefined after ``done`` until reset."""
