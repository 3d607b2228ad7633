"""hackmatrix: train reinforcement-learning agents on HackMatrix in JAX."""
