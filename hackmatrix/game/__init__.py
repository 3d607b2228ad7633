"""The HackMatrix game (shared/spec/rules.md) as a pure-JAX environment."""

from hackmatrix.game.env import HackMatrix
from hackmatrix.game.observation import Observation
from hackmatrix.game.render import render
from hackmatrix.game.reward import RewardConfig

__all__ = ["HackMatrix", "Observation", "RewardConfig", "render"]
