"""A user-defined trainer in a handful of lines: PPO plus an L2 penalty on the weights, and a new metric.

Override ``loss`` to change the objective (every entry of the returned dict becomes a per-update metric) and
``update`` to add metrics computed from the whole training state. Both stay pure functions inside the compiled
scan, so chunking, checkpoints and exact resume keep working unchanged.

    .venv/bin/python examples/custom_trainer.py
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

import hackmatrix as hm


class L2PPOTrainer(hm.PPOTrainer):
    l2_coef = 1e-4

    def loss(self, model, batch):
        total, parts = super().loss(model, batch)
        l2 = sum(jnp.sum(w**2) for w in jax.tree.leaves(eqx.filter(model, eqx.is_array)))
        return total + self.l2_coef * l2, parts | {"l2_penalty": l2}

    def update(self, state):
        state, metrics = super().update(state)
        return state, metrics | {"param_norm": optax.tree.norm(state.params)}


def main() -> None:
    config = hm.PPOConfig(
        num_envs=16, num_steps=16, total_timesteps=16 * 16 * 20, learning_rate=3e-3, hidden_dim=32, ent_coef=0.01
    )
    result = L2PPOTrainer(hm.TinyCorridor(), config, callbacks=[hm.ThroughputMeter()]).fit()
    for update in range(0, config.num_updates, 5):
        print(
            f"update {update + 1:3d}: return {result.metrics['mean_episode_return'][update]:.3f}  "
            f"l2 {result.metrics['l2_penalty'][update]:.2f}  |params| {result.metrics['param_norm'][update]:.2f}"
        )


if __name__ == "__main__":
    main()
