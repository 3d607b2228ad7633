"""The 15 reward components of one step (spec §7), with every number of the section in :class:`RewardConfig`."""

from __future__ import annotations

from typing import final

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from hackmatrix.game import constants as C
from hackmatrix.game.neighbourhood import manhattan
from hackmatrix.game.outcome import ActionOutcome
from hackmatrix.game.pathfinding import exit_distance
from hackmatrix.game.state import GameState


@final
class RewardConfig(eqx.Module):
    """Coefficients of §7; the defaults are the spec's values. Signs are part of the values (penalties < 0)."""

    step_penalty: float = -0.01
    stage_completion: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0)  # for completing stage 1..8
    score_gain: float = 0.5  # per point of score
    kill: float = 0.3  # per kill
    data_siphon: float = 1.0  # per pickup collected by walking
    distance_shaping: float = 0.05  # per cell closer to the exit (never negative)
    damage: float = -1.0  # per hp lost
    hp_recovery: float = 1.0  # per hp gained
    victory_base: float = 500.0
    victory_per_score: float = 100.0
    death: float = -0.5  # times the stage-completion values of the stages completed before the death stage
    siphon_death: float = -10.0
    credit_gain: float = 0.05  # per credit of net change
    energy_gain: float = 0.05  # per energy of net change
    credit_holding: float = 0.01  # per credit held when a stage is completed
    energy_holding: float = 0.01  # per energy held when a stage is completed
    program_waste: float = -0.3  # RESET used at hp 2
    siphon_quality: float = -0.5  # times the value of the missed resources below
    missed_credit_value: float = 0.05
    missed_energy_value: float = 0.05


def distance_to_exit(state: GameState) -> Int[Array, ""]:
    """D(player position) on the state's own board, to its exit position (§7)."""
    return exit_distance(state.board, state.exit_row, state.exit_col, state.player.row, state.player.col)


def adjacent_siphon_enemy(state: GameState) -> Bool[Array, ""]:
    """Some enemy from_siphon stands cardinally adjacent to the player (component 11)."""
    e, p = state.enemies, state.player
    adjacent = manhattan(e.row, e.col, p.row, p.col) == 1
    return jnp.any(e.alive & e.from_siphon & adjacent)


def step_reward(
    config: RewardConfig,
    before: GameState,
    after: GameState,
    action: Int[Array, ""],
    outcome: ActionOutcome,
    distance_before: Int[Array, ""],
) -> Float[Array, " 15"]:
    """The components (in ``constants.REWARD_COMPONENTS`` order) of a *valid* step from ``before`` to ``after``.

    ``after`` is the state after the player action, the enemy phase or stage completion, but before its
    ``reward_totals`` are updated; ``distance_before`` is D₀ (``distance_to_exit(before)``). On UNDO the rules are
    replaced by rewinding: each component is the restored snapshot's total minus the running total before the step,
    plus the usual step penalty.
    """
    f = lambda x: jnp.asarray(x, jnp.float32)  # noqa: E731
    p0, p1 = before.player, after.player
    completed = outcome.reached_exit
    died = p1.hp == 0
    victory = completed & (before.stage == C.NUM_STAGES)
    completion_values = jnp.asarray(config.stage_completion, jnp.float32)
    completed_before_death_stage = jnp.where(jnp.arange(C.NUM_STAGES) < before.stage - 1, completion_values, 0.0)
    shaping_delta = jnp.where(
        died, 0, jnp.where(completed, distance_before, distance_before - distance_to_exit(after))
    )
    hp_change = f(p1.hp - p0.hp)
    missed = config.missed_credit_value * f(outcome.missed_credits) + config.missed_energy_value * f(
        outcome.missed_energy
    )
    components = jnp.stack([
        f(config.step_penalty),
        jnp.where(completed, completion_values[jnp.clip(before.stage - 1, 0, C.NUM_STAGES - 1)], 0.0),
        config.score_gain * f(p1.score - p0.score),
        config.kill * f(outcome.kills),
        jnp.where(outcome.pickup_collected, config.data_siphon, 0.0),
        config.distance_shaping * f(jnp.maximum(shaping_delta, 0)),
        config.damage * jnp.maximum(-hp_change, 0.0),
        config.hp_recovery * jnp.maximum(hp_change, 0.0),
        jnp.where(victory, config.victory_base + config.victory_per_score * f(p1.score), 0.0),
        jnp.where(died, config.death * completed_before_death_stage.sum(), 0.0),
        jnp.where(died & adjacent_siphon_enemy(after), config.siphon_death, 0.0),
        config.credit_gain * f(p1.credits - p0.credits) + config.energy_gain * f(p1.energy - p0.energy),
        jnp.where(completed, config.credit_holding * f(p1.credits) + config.energy_holding * f(p1.energy), 0.0),
        jnp.where((action == C.FIRST_PROGRAM_ACTION + C.RESET) & (p0.hp == 2), config.program_waste, 0.0),
        jnp.where((action == C.ACTION_SIPHON) & outcome.siphon_suboptimal, config.siphon_quality * missed, 0.0),
    ]).astype(jnp.float32)  # fmt: skip
    step_only = jnp.zeros(C.NUM_REWARD_COMPONENTS, jnp.float32).at[C.REWARD_INDEX["step_penalty"]].set(
        config.step_penalty
    )
    rewound = after.reward_totals - before.reward_totals + step_only
    return jnp.where(action == C.FIRST_PROGRAM_ACTION + C.UNDO, rewound, components)
