"""PPO training throughput: HackMatrix at the default config for a few chunks, then the tiny corridor env (which
costs almost nothing to step, so its figure is the PPO machinery's own overhead).

Prints, per environment, the chunk function's compile time, env steps/s of each timed chunk and their median, the
process's peak resident memory (``ru_maxrss``), and the network's own share of an update (the minibatch epochs and a
policy forward pass over a rollout's worth of synthetic observations): the time an update takes even if stepping
the env cost nothing, so about the most env steps/s this config can reach on this machine.

Goals on the 2-core CPU machine (HackMatrix, default config): >= 14,000 env steps/s, compile <= 8 s, peak memory
<= 1.5 GB.

    .venv/bin/python benchmarks/bench_train.py [--chunks 3] [--chunk-size 2] [--env hackmatrix tiny] [--hidden-dim 256]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import time
from typing import Any

import jax
import jax.numpy as jnp

import hackmatrix as hm
from hackmatrix.env.protocol import Environment
from hackmatrix.ppo.loss import Batch
from hackmatrix.ppo.update import train_epochs
from timing import TIMED_CALLS, median_seconds


class ChunkTimes(hm.Callback):
    """Collects the meter's per-chunk throughput, and the process CPU time per update (a machine shared with other
    work slows wall time down much more than CPU time)."""

    def __init__(self, meter: hm.ThroughputMeter):
        self.meter = meter
        self.steps_per_second: list[float] = []
        self.cpu_seconds_per_update: list[float] = []

    def on_chunk_start(self, trainer: hm.Trainer, state: Any, step: int) -> None:
        self._cpu_start, self._first_step = time.process_time(), step

    def on_chunk_end(self, trainer: hm.Trainer, state: Any, metrics: dict[str, Any], step: int) -> None:
        self.steps_per_second.append(self.meter.steps_per_second)
        cpu = (time.process_time() - self._cpu_start) / (step - self._first_step)
        self.cpu_seconds_per_update.append(cpu)
        print(
            f"  chunk ending at update {step}: {self.meter.steps_per_second:,.0f} env steps/s, "
            f"{cpu:.2f} CPU s/update, mean episode length {metrics['mean_episode_length'][-1]:.1f}",
            flush=True,
        )


def make_env(name: str) -> Environment:
    return hm.TinyCorridor() if name == "tiny" else hm.HackMatrix()


def network_seconds_per_update(trainer: hm.PPOTrainer) -> float:
    """Median seconds of the network's work in one update, on a synthetic rollout-sized batch: ``update_epochs``
    passes of minibatch gradient steps, plus one forward pass over the batch (the rollout's policy evaluations, here
    in one large matmul, which is faster than the rollout's per-step ones)."""
    config, env = trainer.config, trainer.env
    state = trainer.init_state()
    obs_key, advantage_key, epochs_key = jax.random.split(jax.random.key(0), 3)
    size = config.batch_size
    batch = Batch(
        obs=jax.random.uniform(obs_key, (size, env.observation_size)),
        action_mask=jnp.ones((size, env.num_actions), bool),
        action=jnp.zeros(size, jnp.int32),
        log_prob=jnp.full(size, -jnp.log(env.num_actions)),
        value=jnp.zeros(size),
        advantage=jax.random.normal(advantage_key, (size,)),
        target=jnp.zeros(size),
    )

    @jax.jit
    def network_work(params, opt_state, batch):
        epochs = train_epochs(
            params, opt_state, batch, config=config, optimizer=trainer.optimizer, loss=trainer.loss, key=epochs_key
        )
        return epochs, jax.vmap(params)(batch.obs)

    return median_seconds(network_work, state.params, state.opt_state, batch)


def bench(name: str, chunks: int, chunk_size: int, hidden_dim: int) -> hm.PPOTrainer:
    config = hm.PPOConfig(hidden_dim=hidden_dim)
    # One warm-up chunk whose time includes nothing but running (compilation is timed apart), then timed chunks.
    config = dataclasses.replace(config, total_timesteps=config.batch_size * chunk_size * (chunks + 1))
    meter = hm.ThroughputMeter()
    times = ChunkTimes(meter)
    trainer = hm.PPOTrainer(make_env(name), config, callbacks=[meter, times], chunk_size=chunk_size)
    print(f"{name}: {config.num_envs} envs x {config.num_steps} steps, {config.num_updates} updates, hidden layers "
          f"{config.num_layers} x {config.hidden_dim}", flush=True)  # fmt: skip
    trainer.fit()
    timed = times.steps_per_second[1:]
    cpu = statistics.median(times.cpu_seconds_per_update[1:])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name}: compile {meter.compile_seconds:.1f} s, median {statistics.median(timed):,.0f} env steps/s "
        f"over {len(timed)} chunks ({cpu:.2f} CPU s/update), peak memory so far {peak_mb:,.0f} MB",
        flush=True,
    )
    return trainer


def print_network_share(name: str, trainer: hm.PPOTrainer) -> None:
    seconds = network_seconds_per_update(trainer)
    print(
        f"{name}: the network alone takes {seconds:.2f} s/update (median of {TIMED_CALLS}): "
        f"{trainer.env_steps_per_update / seconds:,.0f} env steps/s if stepping the env cost nothing",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=3, help="timed chunks (after one warm-up chunk)")
    parser.add_argument("--chunk-size", type=int, default=2)  # small chunks: few updates per run
    parser.add_argument("--env", nargs="+", default=["hackmatrix", "tiny"], choices=["hackmatrix", "tiny"])
    parser.add_argument("--hidden-dim", type=int, default=hm.PPOConfig.hidden_dim, help="(default: PPOConfig's)")
    args = parser.parse_args()
    trainers = {name: bench(name, args.chunks, args.chunk_size, args.hidden_dim) for name in args.env}
    # After all the training runs, so that its synthetic batch does not count in their peak memory.
    for name, trainer in trainers.items():
        print_network_share(name, trainer)


if __name__ == "__main__":
    main()
