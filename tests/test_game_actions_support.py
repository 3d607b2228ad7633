"""Shared helpers of the player-action tests: one jitted ``apply_player_action`` / ``action_mask`` /
``siphon_quality`` for the whole test process.

Every hand-built scenario has the same shapes, so each function compiles once for all the action test files.
"""

from __future__ import annotations

import copy

import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.game import constants as C
from hackmatrix.game.actions import apply_player_action
from hackmatrix.game.mask import action_mask
from hackmatrix.game.outcome import ActionOutcome
from hackmatrix.game.scenario import Scenario, build_state, describe
from hackmatrix.game.siphon import siphon_quality
from hackmatrix.game.state import GameState

APPLY = jax.jit(apply_player_action)
MASK = jax.jit(action_mask)
QUALITY = jax.jit(siphon_quality)
KEY = jax.random.key(0)

UP, DOWN, LEFT, RIGHT, SIPHON = C.ACTION_UP, C.ACTION_DOWN, C.ACTION_LEFT, C.ACTION_RIGHT, C.ACTION_SIPHON


def program_action(name: str) -> int:
    return C.FIRST_PROGRAM_ACTION + C.PROGRAM_INDEX[name]


def build(**scenario) -> GameState:
    return build_state(Scenario(**scenario))


def mask_of(state: GameState) -> list[bool]:
    return np.asarray(MASK(state)).tolist()


def act(state: GameState, action: int, key=KEY) -> tuple[GameState, dict]:
    """Apply ``action``, which must be valid in ``state`` (checked: the function assumes it).

    Returns the new state and the outcome as plain Python values.
    """
    assert mask_of(state)[action], f"action {action} is not valid here"
    after, outcome = APPLY(state, jnp.asarray(action, jnp.int32), key=key)
    return after, outcome_dict(outcome)


def outcome_dict(outcome: ActionOutcome) -> dict:
    return {name: value.item() for name, value in jax.device_get(outcome)._asdict().items()}


def quiet_outcome(**changes) -> dict:
    """The outcome of an action that reports nothing, with ``changes``."""
    return {**outcome_dict(ActionOutcome.nothing()), **changes}


def expect(state: GameState, **changes) -> dict:
    """``describe(state)`` with ``changes``: ``player`` entries are merged, every other entry replaced."""
    view = copy.deepcopy(describe(state))
    player = changes.pop("player", {})
    view["player"].update(player)
    view.update(changes)
    return view


def enemy(kind: str, row: int, col: int, hp: int, *, stunned=False, disabled_turns=0, from_siphon=False,
          from_scheduled=False) -> dict:
    """One entry of ``describe(state)["enemies"]``."""
    return dict(kind=kind, row=row, col=col, hp=hp, disabled_turns=disabled_turns, stunned=stunned,
                from_siphon=from_siphon, from_scheduled=from_scheduled)  # fmt: skip


def transmission(row: int, col: int, countdown: int, kind: str, *, from_siphon=False, from_scheduled=False) -> dict:
    """One entry of ``describe(state)["transmissions"]``."""
    return dict(row=row, col=col, countdown=countdown, kind=kind, from_siphon=from_siphon,
                from_scheduled=from_scheduled)  # fmt: skip


def with_enemy_orders(state: GameState, orders: list[int]) -> GameState:
    """Give the first enemy slots the list-order keys ``orders`` (so list order can differ from slot order)."""
    order = state.enemies.order.at[: len(orders)].set(jnp.asarray(orders, jnp.int32))
    return state._replace(enemies=state.enemies._replace(order=order))


def with_scheduled(state: GameState, enemies: list[int] = (), transmissions: list[int] = ()) -> GameState:
    """Mark enemy / transmission slots as created by a scheduled task (scenarios cannot say it of transmissions)."""
    e, t = state.enemies, state.transmissions
    return state._replace(
        enemies=e._replace(from_scheduled=e.from_scheduled.at[jnp.asarray(enemies, jnp.int32)].set(True)),
        transmissions=t._replace(
            from_scheduled=t.from_scheduled.at[jnp.asarray(transmissions, jnp.int32)].set(True)
        ),
    )
