"""The UNDO history (§4.3, §5.2 step 8): a ring buffer of the most recent ``HISTORY_SIZE`` snapshots."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool

from hackmatrix.game import constants as C
from hackmatrix.game.state import GameState, History, Snapshot, snapshot_of


def push_snapshot(state: GameState, *, where: bool | Bool[Array, ""] = True) -> GameState:
    """Push a snapshot of ``state``; past ``HISTORY_SIZE`` the oldest one is overwritten.

    Where ``where`` is false nothing changes: the write goes to an out-of-range slot and is dropped, so a batched
    (vmapped) conditional push costs one snapshot write, not a select over the whole history.
    """
    h = state.history
    push = jnp.asarray(where)
    slot = (h.top + 1) % C.HISTORY_SIZE
    target = jnp.where(push, slot, C.HISTORY_SIZE)
    snapshots = jax.tree.map(lambda buf, x: buf.at[target].set(x, mode="drop"), h.snapshots, snapshot_of(state))
    history = History(
        snapshots=snapshots,
        count=jnp.where(push, jnp.minimum(h.count + 1, C.HISTORY_SIZE), h.count),
        top=jnp.where(push, slot, h.top),
    )
    return state._replace(history=history)


def clear_history(state: GameState) -> GameState:
    """Forget every snapshot (stage transitions); the buffer contents are left as they are."""
    return state._replace(history=state.history._replace(count=jnp.zeros_like(state.history.count)))


def top_snapshot(history: History) -> Snapshot:
    return jax.tree.map(lambda buf: buf[history.top], history.snapshots)


def pop_snapshot(state: GameState) -> GameState:
    """Restore the most recent snapshot and drop it (UNDO). Origin flags of restored entities are cleared.

    Fields not listed under UNDO in the spec (stage, exit position, scheduled-task timing, pending siphon, STEP)
    keep their current values. The caller checks that the history is not empty.
    """
    h = state.history
    snap = top_snapshot(h)
    enemies = snap.enemies._replace(
        from_siphon=jnp.zeros_like(snap.enemies.from_siphon),
        from_scheduled=jnp.zeros_like(snap.enemies.from_scheduled),
    )
    transmissions = snap.transmissions._replace(
        from_siphon=jnp.zeros_like(snap.transmissions.from_siphon),
        from_scheduled=jnp.zeros_like(snap.transmissions.from_scheduled),
    )
    history = History(
        snapshots=h.snapshots, count=jnp.maximum(h.count - 1, 0), top=(h.top - 1) % C.HISTORY_SIZE
    )
    return state._replace(
        player=snap.player, turn=snap.turn, owned=snap.owned, board=snap.board, enemies=enemies,
        transmissions=transmissions, show=snap.show, calm=snap.calm, atk_plus_uses=snap.atk_plus_uses,
        reward_totals=snap.reward_totals, history=history,
    )  # fmt: skip
