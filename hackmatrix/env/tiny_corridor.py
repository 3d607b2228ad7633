"""A tiny masked environment: a corridor with a coin, for fast tests and as a second example of the protocol.

The agent starts in cell 0 of a corridor of ``length`` cells; a coin lies on a uniformly random inner cell and the
exit is the last cell. Actions: 0 = left (invalid in cell 0), 1 = right, 2 = pick up (valid only on the coin's cell
while the coin is there). Rewards: +1 for the coin, +1 for reaching the exit (which ends the episode), and
``-step_cost`` for every other step; the episode also ends after ``max_steps`` steps. As in HackMatrix, an invalid
action changes nothing, pays 0 and ends the episode. The best return is ``2 - step_cost * length``; a uniformly
random policy rarely picks the coin up.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple, final

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from hackmatrix.env.protocol import Environment

ACTION_LEFT = 0
ACTION_RIGHT = 1
ACTION_PICK_UP = 2


class CorridorState(NamedTuple):
    position: Int[Array, ""]
    coin: Int[Array, ""]  # cell of the coin, or -1 once picked up
    time: Int[Array, ""]  # steps taken in this episode


class CorridorObservation(NamedTuple):
    flat: Float[Array, " obs"]  # one-hot position, one-hot coin cell (all 0 once picked up), time / max_steps
    action_mask: Bool[Array, " 3"]


@final
class TinyCorridor(Environment):
    length: int = 5
    max_steps: int = 12
    step_cost: float = 0.02

    info_max_keys: ClassVar[tuple[str, ...]] = ("stats/furthest_cell",)

    @property
    def num_actions(self) -> int:
        return 3

    @property
    def observation_size(self) -> int:
        return 2 * self.length + 1

    def reset(self, key: PRNGKeyArray) -> tuple[CorridorState, CorridorObservation]:
        coin = jax.random.randint(key, (), 1, self.length - 1, dtype=jnp.int32)
        state = CorridorState(position=jnp.int32(0), coin=coin, time=jnp.int32(0))
        return state, self._observe(state)

    def step(
        self, state: CorridorState, action: Int[Array, ""], key: PRNGKeyArray
    ) -> tuple[CorridorState, CorridorObservation, Float[Array, ""], Bool[Array, ""], dict[str, Any]]:
        del key  # deterministic transitions
        valid = self._action_mask(state)[action]
        picks_coin = valid & (action == ACTION_PICK_UP)
        step = jnp.where(action == ACTION_LEFT, -1, jnp.where(action == ACTION_RIGHT, 1, 0))
        position = jnp.where(valid, state.position + step, state.position).astype(jnp.int32)
        coin = jnp.where(picks_coin, -1, state.coin).astype(jnp.int32)
        new_state = CorridorState(position=position, coin=coin, time=state.time + valid.astype(jnp.int32))
        reached_exit = valid & (position == self.length - 1)
        reward = jnp.where(
            valid,
            picks_coin.astype(jnp.float32) + reached_exit.astype(jnp.float32) - self.step_cost,
            0.0,
        )
        done = ~valid | reached_exit | (new_state.time >= self.max_steps)
        info = {
            "reward": {"coin": picks_coin.astype(jnp.float32), "exit": reached_exit.astype(jnp.float32)},
            "stats": {"furthest_cell": position},
            "invalid_action": (~valid).astype(jnp.float32),
        }
        return new_state, self._observe(new_state), reward, done, info

    def _action_mask(self, state: CorridorState) -> Bool[Array, " 3"]:
        return jnp.stack([state.position > 0, jnp.bool_(True), state.position == state.coin])

    def _observe(self, state: CorridorState) -> CorridorObservation:
        cells = jnp.arange(self.length)
        flat = jnp.concatenate(
            [
                (cells == state.position).astype(jnp.float32),
                (cells == state.coin).astype(jnp.float32),
                (state.time / self.max_steps)[None].astype(jnp.float32),
            ]
        )
        return CorridorObservation(flat=flat, action_mask=self._action_mask(state))
