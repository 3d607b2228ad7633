"""What a player action reports to the rest of the step (turn end, stage completion, reward inputs)."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Int


class ActionOutcome(NamedTuple):
    ends_turn: Bool[Array, ""]  # a move that does not reach the exit, an attack, a siphon, or WAIT (§5.1)
    reached_exit: Bool[Array, ""]  # moved onto the exit cell, or WARP onto the exit position (§6.1)
    kills: Int[Array, ""]  # kills for the reward (§7)
    pickup_collected: Bool[Array, ""]  # a data-siphon pickup collected by walking (§4.1)
    missed_credits: Int[Array, ""]  # siphon quality (§7 component 15); 0 unless a strictly better spot existed
    missed_energy: Int[Array, ""]
    siphon_suboptimal: Bool[Array, ""]  # a strictly better siphon position existed

    @staticmethod
    def nothing() -> "ActionOutcome":
        f, z = jnp.asarray(False), jnp.asarray(0, jnp.int32)
        return ActionOutcome(ends_turn=f, reached_exit=f, kills=z, pickup_collected=f, missed_credits=z,
                             missed_energy=z, siphon_suboptimal=f)  # fmt: skip
