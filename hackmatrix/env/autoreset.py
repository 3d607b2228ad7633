"""Auto-reset: an environment that starts a new episode by itself, so a fixed-length rollout never stops.

After a step with ``done``, the returned state and observation belong to a freshly reset episode, while reward,
done and info still describe the step that ended the old one. Under ``vmap`` both the step and the reset are
computed for every environment and the right one is selected per environment (no data-dependent shapes).
"""

from __future__ import annotations

from typing import Any, final

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from hackmatrix.env.protocol import Environment


@final
class AutoReset(Environment):
    env: Environment

    @property
    def info_max_keys(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.env.info_max_keys

    @property
    def num_actions(self) -> int:
        return self.env.num_actions

    @property
    def observation_size(self) -> int:
        return self.env.observation_size

    def reset(self, key: PRNGKeyArray) -> tuple[Any, Any]:
        return self.env.reset(key)

    def step(
        self, state: Any, action: Int[Array, ""], key: PRNGKeyArray
    ) -> tuple[Any, Any, Float[Array, ""], Bool[Array, ""], dict[str, Any]]:
        step_key, reset_key = jax.random.split(key)
        state, obs, reward, done, info = self.env.step(state, action, step_key)
        reset_state, reset_obs = self.env.reset(reset_key)
        state, obs = jax.tree.map(
            lambda fresh, old: jnp.where(done, fresh, old), (reset_state, reset_obs), (state, obs)
        )
        return state, obs, reward, done, info
