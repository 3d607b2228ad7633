"""The PPO hyperparameters: one frozen dataclass, validated before anything is compiled."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    """Defaults follow common PPO practice for HackMatrix (a high entropy bonus: the game collapses entropy early).

    One *update* consumes ``num_envs * num_steps`` environment steps; the run has
    ``num_updates = total_timesteps // (num_envs * num_steps)`` updates.
    """

    num_envs: int = 256
    num_steps: int = 128
    total_timesteps: int = 10_000_000
    learning_rate: float = 2.5e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    num_minibatches: int = 4
    update_epochs: int = 4
    clip_eps: float = 0.2
    vf_coef: float = 0.5
    ent_coef: float = 0.15
    max_grad_norm: float = 0.5
    hidden_dim: int = 256
    num_layers: int = 2
    anneal_lr: bool = True
    separate_critic: bool = False
    seed: int = 0

    #: Fields that may differ between a checkpoint and the run resuming it (they do not change the training).
    RESUMABLE_FIELDS: ClassVar[tuple[str, ...]] = ("total_timesteps",)

    @property
    def batch_size(self) -> int:
        """Environment steps per update."""
        return self.num_envs * self.num_steps

    @property
    def minibatch_size(self) -> int:
        return self.batch_size // self.num_minibatches

    @property
    def num_updates(self) -> int:
        return self.total_timesteps // self.batch_size

    def validate(self) -> PPOConfig:
        """Raises ``ValueError`` naming the first bad field and its allowed values; returns ``self``."""
        for name in ("num_envs", "num_steps", "num_minibatches", "update_epochs", "hidden_dim", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if self.total_timesteps < self.batch_size:
            raise ValueError(
                f"total_timesteps must be >= num_envs * num_steps (= {self.batch_size}) so that there is at least "
                f"one update; got {self.total_timesteps}"
            )
        if self.batch_size % self.num_minibatches:
            raise ValueError(
                f"num_minibatches must divide num_envs * num_steps (= {self.batch_size}); got {self.num_minibatches}"
            )
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate}")
        for name in ("gamma", "gae_lambda"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1]; got {getattr(self, name)}")
        for name in ("clip_eps", "max_grad_norm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)}")
        for name in ("vf_coef", "ent_coef"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in [0, 2**32); got {self.seed}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def config_hash(self) -> str:
        """A short stable digest of every field (same config -> same hash, across processes)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def training_differences(self, other: dict[str, Any]) -> list[str]:
        """Names of the fields, other than ``RESUMABLE_FIELDS``, whose value in ``other`` differs from this one."""
        mine = self.to_dict()
        names = (mine.keys() | other.keys()) - set(self.RESUMABLE_FIELDS)
        return sorted(name for name in names if mine.get(name) != other.get(name))
