"""Masked PPO in Equinox and optax: config, network, masked categorical, GAE, loss, rollout and update."""
