"""hackmatrix: train reinforcement-learning agents on HackMatrix in JAX."""

from hackmatrix.env.autoreset import AutoReset
from hackmatrix.env.protocol import Environment
from hackmatrix.env.tiny_corridor import TinyCorridor
from hackmatrix.game.env import HackMatrix
from hackmatrix.ppo.config import PPOConfig
from hackmatrix.ppo.network import ActorCritic
from hackmatrix.training.callback import Callback
from hackmatrix.training.model_checkpoint import ModelCheckpoint
from hackmatrix.training.ppo_trainer import PPOTrainer
from hackmatrix.training.progress import ProgressBar
from hackmatrix.training.throughput import ThroughputMeter
from hackmatrix.training.trainer import FitResult, Trainer

__all__ = [
    "ActorCritic",
    "AutoReset",
    "Callback",
    "Environment",
    "FitResult",
    "HackMatrix",
    "ModelCheckpoint",
    "PPOConfig",
    "PPOTrainer",
    "ProgressBar",
    "ThroughputMeter",
    "TinyCorridor",
    "Trainer",
]
