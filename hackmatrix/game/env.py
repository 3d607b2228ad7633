"""HackMatrix as an :class:`~hackmatrix.env.protocol.Environment`: one step of spec §5.1 around the rule modules."""

from __future__ import annotations

from typing import Any, ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from hackmatrix.env.protocol import Environment
from hackmatrix.game import constants as C
from hackmatrix.game.actions import apply_player_action
from hackmatrix.game.enemy_phase import run_enemy_phase
from hackmatrix.game.generation import complete_stage, new_game
from hackmatrix.game.mask import action_mask
from hackmatrix.game.observation import Observation, observe
from hackmatrix.game.reward import RewardConfig, distance_to_exit, step_reward
from hackmatrix.game.select import select_tree
from hackmatrix.game.state import GameState


def with_reward_totals(state: GameState, totals: Float[Array, " 15"], *, pushed: Bool[Array, ""]) -> GameState:
    """``state`` with the episode's reward totals set; where this step's enemy phase ``pushed`` an UNDO snapshot,
    the snapshot gets them too (§7: a snapshot stores the totals at the end of its step, that step's reward
    included)."""
    h = state.history
    stored = h.snapshots.reward_totals
    stored = stored.at[h.top].set(jnp.where(pushed, totals, stored[h.top]))
    history = h._replace(snapshots=h.snapshots._replace(reward_totals=stored))
    return state._replace(reward_totals=totals, history=history)


@final
class HackMatrix(Environment):
    """The game of shared/spec/rules.md. The environment state is the :class:`GameState` itself."""

    reward_config: RewardConfig = eqx.field(default_factory=RewardConfig)

    info_max_keys: ClassVar[tuple[str, ...]] = ("stats/highest_stage",)

    @property
    def num_actions(self) -> int:
        return C.NUM_ACTIONS

    @property
    def observation_size(self) -> int:
        return C.OBS_SIZE

    def reset(self, key: PRNGKeyArray) -> tuple[GameState, Observation]:
        state = new_game(key)
        return state, observe(state)

    def action_mask(self, state: GameState) -> Bool[Array, " 28"]:
        return action_mask(state)

    def step(
        self, state: GameState, action: Int[Array, ""], key: PRNGKeyArray
    ) -> tuple[GameState, Observation, Float[Array, ""], Bool[Array, ""], dict[str, Any]]:
        """One step of §5.1. An invalid action (mask false, or no action index at all) changes nothing, pays 0 and
        ends the episode (§9)."""
        action = jnp.asarray(action, jnp.int32)
        action_key, stage_key, enemy_key = jax.random.split(key, 3)
        # An index outside the 28 actions is invalid too (indexing would clamp it onto a real action).
        valid = (action >= 0) & (action < C.NUM_ACTIONS) & action_mask(state)[jnp.clip(action, 0, C.NUM_ACTIONS - 1)]
        distance_before = distance_to_exit(state)

        acted, outcome = apply_player_action(state, action, key=action_key)
        acted = select_tree(valid, acted, state)
        # Both follow-ups are gated inside (cheap under vmap, the history is never selected as a whole); at most one
        # of them does anything.
        after = complete_stage(acted, key=stage_key, where=valid & outcome.reached_exit)
        after = run_enemy_phase(after, key=enemy_key, where=valid & outcome.ends_turn & ~outcome.reached_exit)

        components = step_reward(self.reward_config, state, after, action, outcome, distance_before)
        components = jnp.where(valid, components, 0.0)
        pushed = after.history.top != acted.history.top
        new_state = with_reward_totals(after, state.reward_totals + components, pushed=pushed)

        died = new_state.player.hp == 0
        victory = new_state.stage == C.VICTORY_STAGE
        obs = observe(new_state)
        # §9: generated play never leaves a live state without a valid action. A hand-built one can (WAIT spending
        # the last energy in a walled-in corner): that step is not done, and the next one is invalid and ends it.
        done = ~valid | died | victory
        f = lambda x: jnp.asarray(x, jnp.float32)  # noqa: E731
        info = {
            "reward": {name: components[i] for i, name in enumerate(C.REWARD_COMPONENTS)},
            "actions": {
                "move_frac": f(action < C.ACTION_SIPHON),
                "siphon_frac": f(action == C.ACTION_SIPHON),
                "program_frac": f(action >= C.FIRST_PROGRAM_ACTION),
            },
            "stats": {"highest_stage": f(new_state.stage)},
            "invalid_action": f(~valid),
        }
        return new_state, obs, components.sum(), done, info
