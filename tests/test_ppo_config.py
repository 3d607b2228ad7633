"""PPOConfig validation names the field and the allowed values; derived sizes."""

from __future__ import annotations

import re

import pytest

import hackmatrix as hm


def test_defaults_are_valid_and_derive_sizes() -> None:
    config = hm.PPOConfig().validate()
    assert config.batch_size == config.num_envs * config.num_steps
    assert config.num_updates == config.total_timesteps // config.batch_size
    assert config.minibatch_size * config.num_minibatches == config.batch_size


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            dict(num_envs=4, num_steps=24, num_minibatches=5),
            "num_minibatches must divide num_envs * num_steps (= 96); got 5",
        ),
        (dict(num_envs=4, num_steps=8, total_timesteps=31), "total_timesteps must be >= num_envs * num_steps (= 32)"),
        (dict(num_envs=0), "num_envs must be an integer >= 1; got 0"),
        (dict(gamma=1.5), "gamma must be in [0, 1]; got 1.5"),
        (dict(clip_eps=0.0), "clip_eps must be > 0"),
        (dict(ent_coef=-0.1), "ent_coef must be >= 0"),
        (dict(learning_rate=0.0), "learning_rate must be > 0"),
    ],
)
def test_validate_names_the_bad_field(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        hm.PPOConfig(**overrides).validate()


def test_trainer_validates_before_compiling() -> None:
    with pytest.raises(ValueError, match="num_minibatches"):
        hm.PPOTrainer(hm.TinyCorridor(), hm.PPOConfig(num_envs=3, num_steps=3, num_minibatches=2))


def test_training_differences_ignore_total_timesteps() -> None:
    config = hm.PPOConfig()
    other = {**config.to_dict(), "total_timesteps": 1, "learning_rate": 1.0, "seed": 7}
    assert config.training_differences(other) == ["learning_rate", "seed"]
    assert config.config_hash() == hm.PPOConfig().config_hash() != hm.PPOConfig(seed=1).config_hash()
