"""Play HackMatrix in a terminal: ``python -m hackmatrix.play [--seed N]``.

Each turn shows the board and the valid actions with their keys (w/s/a/d up/down/left/right, x siphon, a program by
its action number); after each step it shows the reward broken into its components. ``q`` quits.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterable, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.game import constants as C
from hackmatrix.game.env import HackMatrix
from hackmatrix.game.render import ACTION_KEYS, LEGEND, action_name, render

QUIT = "q"
_ENV = HackMatrix()
# Jitted once per process, shared by every game played in it.
_RESET = jax.jit(_ENV.reset)
_STEP = jax.jit(_ENV.step)


def play(lines: Iterable[str], *, seed: int = 0, write: Callable[[str], object] = print) -> float:
    """Run one game reading actions from ``lines`` and writing text with ``write``; returns the episode's return.

    The game ends on done, on ``q``, or when ``lines`` runs out.
    """
    key, reset_key = jax.random.split(jax.random.key(seed))
    state, obs = _RESET(reset_key)
    episode_return = 0.0
    write(LEGEND)
    write(render(state))
    for line in lines:
        typed = line.strip().lower()
        if typed == QUIT:
            write("Quit.")
            break
        if typed not in ACTION_KEYS:
            write(f"Unknown key {typed!r}: type one of the keys listed under 'valid actions', or q to quit.")
            continue
        action = ACTION_KEYS[typed]
        if not bool(obs.action_mask[action]):
            write(f"{action_name(action)} is not possible now: choose one of the valid actions.")
            continue
        key, step_key = jax.random.split(key)
        state, obs, reward, done, info = _STEP(state, jnp.asarray(action, jnp.int32), step_key)
        episode_return += float(reward)
        components = {name: float(value) for name, value in jax.device_get(info["reward"]).items()}
        paid = "  ".join(f"{name} {value:+.2f}" for name, value in components.items() if value != 0.0)
        write(f"{action_name(action)}: reward {float(reward):+.2f} ({paid or 'nothing'})  return {episode_return:+.2f}")
        write(render(state))
        if bool(done):
            outcome = "Victory!" if int(state.stage) == C.VICTORY_STAGE else "You died."
            write(f"{outcome} Game over after reaching stage {min(int(state.stage), C.NUM_STAGES)}; "
                  f"return {episode_return:+.2f}.")  # fmt: skip
            break
    return episode_return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hackmatrix.play", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=int(np.random.SeedSequence().entropy % 2**31),
                        help="random seed of the game (default: a fresh one)")  # fmt: skip
    args = parser.parse_args(argv)
    print(f"HackMatrix, seed {args.seed}")
    play(_prompted(sys.stdin), seed=args.seed)


def _prompted(stream: io.TextIOBase) -> Iterator[str]:
    """The lines of ``stream``, printing a prompt before each read."""
    while True:
        print("> ", end="", flush=True)
        line = stream.readline()
        if not line:
            return
        yield line


if __name__ == "__main__":
    main()
