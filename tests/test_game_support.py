"""Shared helpers of the game tests: one jitted env step / reset / observe for the whole test process.

Every hand-built scenario has the same shapes, so each of these compiles once per process (and the persistent
compilation cache of conftest.py makes later processes cheap).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from hackmatrix.game import constants as C
from hackmatrix.game.env import HackMatrix
from hackmatrix.game.observation import observe
from hackmatrix.game.state import GameState

ENV = HackMatrix()
# Any retrace (a state of another structure or dtype, e.g. from the scenario builder) fails the test that causes it.
STEP = jax.jit(eqx.debug.assert_max_traces(ENV.step, max_traces=1))
RESET = jax.jit(eqx.debug.assert_max_traces(ENV.reset, max_traces=1))
OBSERVE = jax.jit(observe)
KEY = jax.random.key(0)


def step(state: GameState, action: int, key=KEY):
    """One env step; reward and done as Python values, the reward components as a ``{name: float}`` dict."""
    state, obs, reward, done, info = STEP(state, jnp.asarray(action, jnp.int32), key)
    components = {name: float(value) for name, value in jax.device_get(info["reward"]).items()}
    return state, obs, float(reward), bool(done), components


def with_exit(state: GameState, row: int, col: int) -> GameState:
    """Move a scenario's exit from (5, 5) to (row, col) (the appendix examples use other corners)."""
    content = state.board.content.at[C.BOARD_SIZE - 1, C.BOARD_SIZE - 1].set(C.CONTENT_EMPTY).at[row, col].set(
        C.CONTENT_EXIT
    )
    return state._replace(
        board=state.board._replace(content=content),
        exit_row=jnp.asarray(row, jnp.int32),
        exit_col=jnp.asarray(col, jnp.int32),
    )


def assert_components(components: dict[str, float], **nonzero: float) -> None:
    """Every reward component equals ``nonzero[name]`` (approximately), or 0 when not named."""
    assert set(nonzero) <= set(C.REWARD_COMPONENTS), set(nonzero) - set(C.REWARD_COMPONENTS)
    expected = {name: nonzero.get(name, 0.0) for name in C.REWARD_COMPONENTS}
    assert components == pytest.approx(expected, abs=1e-5)
