"""Chunked training costs no more than one monolithic scan: the same config and seed trained both ways.

Both variants run on one trainer, so each executable is compiled once in a warm-up round; then the two alternate
(interleaved repeats, timed as the command line's ``--benchmark`` times them). Prints the median seconds of each and the
ratio chunked / monolithic (goal: <= 1.005), in wall time and in process CPU time (which other work on a shared
machine disturbs much less). By default the tiny corridor env, so that the figure is about the trainer (host
loop, per-chunk metric transfer, callbacks) rather than the game.

    .venv/bin/python benchmarks/bench_chunked.py [--updates 50] [--chunk-size 10] [--repeats 5] [--env tiny]
"""

from __future__ import annotations

import argparse
import statistics

import hackmatrix as hm
from hackmatrix.train import time_interleaved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--chunk-size", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--num-steps", type=int, default=64)
    parser.add_argument("--env", default="tiny", choices=["tiny", "hackmatrix"])
    args = parser.parse_args()

    env = hm.TinyCorridor() if args.env == "tiny" else hm.HackMatrix()
    config = hm.PPOConfig(
        num_envs=args.num_envs, num_steps=args.num_steps, total_timesteps=args.updates * args.num_envs * args.num_steps
    )
    trainer = hm.PPOTrainer(env, config, callbacks=[hm.ThroughputMeter()], chunk_size=args.chunk_size)
    variants = {"monolithic": lambda: trainer.train_monolithic(args.updates), "chunked": trainer.fit}
    print(
        f"{args.env}: {args.updates} updates of {config.batch_size} env steps, chunks of {args.chunk_size}; "
        "compiling...",
        flush=True,
    )
    for kind, seconds in time_interleaved(variants, args.repeats).items():
        medians = {name: statistics.median(times) for name, times in seconds.items()}
        for name, times in seconds.items():
            print(f"{name:>10}: median {medians[name]:.3f} {kind} s  (runs: {', '.join(f'{t:.3f}' for t in times)})")
        fastest = {name: min(times) for name, times in seconds.items()}
        print(
            f"chunked / monolithic = {medians['chunked'] / medians['monolithic']:.4f} ({kind} time, medians; "
            f"fastest runs: {fastest['chunked'] / fastest['monolithic']:.4f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
