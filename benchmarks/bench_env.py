"""Environment throughput: a random policy sampling from the action mask, ``vmap`` over N environments and a
``lax.scan`` of 128 steps inside one ``jit``, with auto-reset on done.

Prints, per N, the compile time and env steps/s (median of 5 timed calls after a warm-up), then a profile of the
step's pieces (each jitted alone, vmapped over N=256 states taken from random play). The auto-reset is the one
training uses, the batched reset pool (``hackmatrix.env.reset_pool``); ``--per-env-reset`` also times the
per-environment :class:`~hackmatrix.env.autoreset.AutoReset` wrapper (a reset computed for every env at every step)
and ``--no-reset`` the step alone (finished games keep stepping). The random policy needs only the masks, so the
rest of each observation is not computed; ``--observations`` also times the pool rollout that computes every
observation, as training does.

    .venv/bin/python benchmarks/bench_env.py [--sizes 64 256 1024] [--steps 128] [--no-profile]
                                             [--per-env-reset] [--no-reset] [--observations]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp

from hackmatrix.env.autoreset import AutoReset
from hackmatrix.env.reset_pool import empty_reset_pool, step_with_reset_pool
from hackmatrix.game.actions import apply_player_action
from hackmatrix.game.enemy_phase import run_enemy_phase
from hackmatrix.game.env import HackMatrix
from hackmatrix.game.generation import complete_stage
from hackmatrix.game.mask import action_mask
from hackmatrix.game.observation import observe
from hackmatrix.game.reward import distance_to_exit
from timing import TIMED_CALLS, median_seconds


def random_actions(key, mask):
    """One uniformly random valid action per environment."""
    return jax.random.categorical(key, jnp.where(mask, 0.0, -jnp.inf))


def make_rollout(env, num_envs: int, num_steps: int, reset: str, observations: bool = False) -> Callable:
    """A jitted ``(states, masks, obs, key) -> (states, masks, episodes_done)`` running ``num_steps`` batched steps.
    ``reset`` is "pool" (the batched reset pool), "per-env" (``env`` is wrapped in ``AutoReset``) or "none".

    With ``observations`` every step's whole observation is carried to the next step, as in training; otherwise only
    its mask is (``obs``, a batch of observations, then only shapes the reset pool), and XLA computes nothing else
    of it."""
    step = jax.vmap(env.step)

    def one_step(carry, key):
        states, seen, pool = carry
        action_key, step_key = jax.random.split(key)
        actions = random_actions(action_key, seen.action_mask if observations else seen)
        if reset == "pool":
            states, obs, _, done, _, pool = step_with_reset_pool(env, states, actions, pool, key=step_key)
        else:
            states, obs, _, done, _ = step(states, actions, jax.random.split(step_key, num_envs))
        return (states, obs if observations else obs.action_mask, pool), done.sum()

    @jax.jit
    def rollout(states, masks, obs, key):
        pool = empty_reset_pool(states, obs) if reset == "pool" else None
        start = (states, obs if observations else masks, pool)
        (states, seen, _), done = jax.lax.scan(one_step, start, jax.random.split(key, num_steps))
        return states, seen.action_mask if observations else seen, done.sum()

    return rollout


def bench_rollout(
    num_envs: int, num_steps: int, reset: str, observations: bool = False
) -> tuple[float, float, object]:
    """(compile seconds, env steps per second, final states) for one batch size and auto-reset kind. With
    ``reset="none"`` finished games keep stepping (their steps are meaningless but cost the same): the step's own
    throughput."""
    env = AutoReset(HackMatrix()) if reset == "per-env" else HackMatrix()
    states, obs = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.key(0), num_envs))
    rollout = make_rollout(env, num_envs, num_steps, reset, observations)
    key = jax.random.key(1)
    start = time.perf_counter()
    compiled = rollout.lower(states, obs.action_mask, obs, key).compile()
    compile_seconds = time.perf_counter() - start
    states, masks, _ = compiled(states, obs.action_mask, obs, key)
    seconds = median_seconds(compiled, states, masks, obs, key)
    return compile_seconds, num_envs * num_steps / seconds, states


def profile_pieces(states) -> dict[str, float]:
    """Median milliseconds of each piece of a step, vmapped over the batch ``states``."""
    num_envs = states.stage.shape[0]
    env = HackMatrix()
    keys = jax.random.split(jax.random.key(2), num_envs)
    masks = jax.vmap(action_mask)(states)
    actions = random_actions(jax.random.key(3), masks)
    acted, outcome = jax.vmap(lambda s, a, k: apply_player_action(s, a, key=k))(states, actions, keys)
    pieces = {
        "whole step (no reset)": (jax.vmap(env.step), (states, actions, keys)),
        "reset (new_game)": (jax.vmap(env.reset), (keys,)),
        "action_mask": (jax.vmap(action_mask), (states,)),
        "apply_player_action": (jax.vmap(lambda s, a, k: apply_player_action(s, a, key=k)), (states, actions, keys)),
        "run_enemy_phase (all run)": (jax.vmap(lambda s, k: run_enemy_phase(s, key=k)), (acted, keys)),
        "complete_stage (none)": (jax.vmap(lambda s, k: complete_stage(s, key=k, where=False)), (acted, keys)),
        "complete_stage (all)": (jax.vmap(lambda s, k: complete_stage(s, key=k)), (acted, keys)),
        "distance_to_exit": (jax.vmap(distance_to_exit), (states,)),
        "observe": (jax.vmap(observe), (states,)),
    }
    del outcome
    return {name: 1000 * median_seconds(jax.jit(fn), *args) for name, (fn, args) in pieces.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--per-env-reset", action="store_true", help="also time the per-env AutoReset wrapper")
    parser.add_argument("--no-reset", action="store_true", help="also time the step without auto-reset")
    parser.add_argument(
        "--observations", action="store_true", help="also time the pool rollout computing every observation"
    )
    args = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; {args.steps} steps per call, median of {TIMED_CALLS}")
    labels = {
        ("pool", False): "auto-reset (pool)", ("pool", True): "auto-reset (pool) + obs",
        ("per-env", False): "auto-reset (per env)", ("none", False): "step alone",
    }  # fmt: skip
    runs = [("pool", False)] + [("pool", True)] * args.observations
    runs += [("per-env", False)] * args.per_env_reset + [("none", False)] * args.no_reset
    profile_states = None
    for num_envs in args.sizes:
        for reset, observations in runs:
            compile_seconds, steps_per_second, states = bench_rollout(num_envs, args.steps, reset, observations)
            print(f"N={num_envs:5d}  {labels[reset, observations]:23s}  compile {compile_seconds:6.2f} s  "
                  f"{steps_per_second:10,.0f} env steps/s", flush=True)  # fmt: skip
            if reset == "pool" and (num_envs == 256 or profile_states is None):
                profile_states = states
    if not args.no_profile:
        n = profile_states.stage.shape[0]
        print(f"profile of one batched step, N={n} (median ms per call, each piece jitted alone):")
        for name, ms in profile_pieces(profile_states).items():
            print(f"  {name:28s} {ms:8.3f} ms")


if __name__ == "__main__":
    main()
