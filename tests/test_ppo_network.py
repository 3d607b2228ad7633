"""The actor-critic network: shapes, orthogonal initialisation, shared or separate critic trunk."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from hackmatrix.ppo.network import ActorCritic

OBS, ACTIONS, HIDDEN = 9, 5, 16


def test_forward_shapes_and_depth() -> None:
    model = ActorCritic(OBS, ACTIONS, HIDDEN, 3, key=jax.random.key(0))
    logits, value = jax.vmap(model)(jnp.ones((4, OBS)))
    assert logits.shape == (4, ACTIONS) and value.shape == (4,)
    assert len(model.trunk) == 3 and model.critic is None
    assert all(eqx.is_array(leaf) for leaf in jax.tree.leaves(model))  # a plain pytree of parameters


def test_orthogonal_init_with_ppo_gains() -> None:
    model = ActorCritic(OBS, ACTIONS, HIDDEN, 2, key=jax.random.key(1))
    for layer, gain in [(model.trunk[1], np.sqrt(2)), (model.policy_head, 0.01), (model.value_head, 1.0)]:
        w = np.asarray(layer.weight, np.float64)  # (out, in); out <= in here: orthogonal rows
        np.testing.assert_allclose(w @ w.T, gain**2 * np.eye(w.shape[0]), atol=1e-5)
        assert np.all(np.asarray(layer.bias) == 0)
    first = np.asarray(model.trunk[0].weight, np.float64)  # (16, 9): orthogonal columns
    np.testing.assert_allclose(first.T @ first, 2 * np.eye(OBS), atol=1e-5)


def test_separate_critic_does_not_touch_the_policy() -> None:
    model = ActorCritic(OBS, ACTIONS, HIDDEN, 2, separate_critic=True, key=jax.random.key(2))
    assert model.critic is not None and len(model.critic) == 2
    obs = jax.random.normal(jax.random.key(3), (OBS,))
    value_grad = jax.grad(lambda m: m(obs)[1])(model)
    policy_grad = jax.grad(lambda m: m(obs)[0].sum())(model)
    assert all(np.all(np.asarray(g) == 0) for g in jax.tree.leaves(value_grad.trunk))
    assert all(np.all(np.asarray(g) == 0) for g in jax.tree.leaves(policy_grad.critic))
    assert any(np.any(np.asarray(g) != 0) for g in jax.tree.leaves(value_grad.critic))
