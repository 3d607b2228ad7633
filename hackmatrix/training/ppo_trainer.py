"""``PPOTrainer``: masked PPO on any environment that follows :mod:`hackmatrix.env.protocol`."""

from __future__ import annotations

from collections.abc import Sequence

import jax
from jaxtyping import Array, Float

from hackmatrix.env.protocol import Environment
from hackmatrix.ppo.config import PPOConfig
from hackmatrix.ppo.loss import Batch, ppo_loss
from hackmatrix.ppo.network import ActorCritic
from hackmatrix.ppo.optimizer import make_optimizer
from hackmatrix.ppo.train_state import PPOState, init_ppo_state
from hackmatrix.ppo.update import ppo_update
from hackmatrix.training.callback import Callback
from hackmatrix.training.trainer import Trainer


class PPOTrainer(Trainer):
    """Subclass and override :meth:`update` (e.g. to add a metric) or :meth:`loss` (e.g. to add a loss term);
    ``examples/custom_trainer.py`` shows both. ``env`` is the environment as given; rollouts restart finished
    episodes themselves (from a reset pool, see :mod:`hackmatrix.env.reset_pool`)."""

    def __init__(
        self, env: Environment, config: PPOConfig, *, callbacks: Sequence[Callback] = (), chunk_size: int = 10
    ):
        super().__init__(config.validate(), callbacks=callbacks, chunk_size=chunk_size)
        self.env = env
        self.config: PPOConfig = config
        self.optimizer = make_optimizer(config)

    @property
    def num_updates(self) -> int:
        return self.config.num_updates

    @property
    def env_steps_per_update(self) -> int:
        return self.config.batch_size

    def init_state(self) -> PPOState:
        return init_ppo_state(self.env, self.config, self.optimizer, key=jax.random.key(self.config.seed))

    def update(self, state: PPOState) -> tuple[PPOState, dict[str, Float[Array, ""]]]:
        return ppo_update(state, env=self.env, config=self.config, optimizer=self.optimizer, loss=self.loss)

    def loss(self, model: ActorCritic, batch: Batch) -> tuple[Float[Array, ""], dict[str, Float[Array, ""]]]:
        """``(total_loss, parts)`` of one minibatch; every part is averaged into the update's metrics."""
        return ppo_loss(model, batch, self.config)
