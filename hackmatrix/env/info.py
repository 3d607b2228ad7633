"""Naming and reduction of the extra metrics an environment returns in ``info``."""

from __future__ import annotations

from typing import Any

import jax
from jaxtyping import Array, Shaped


def flatten_info(info: dict[str, Any]) -> dict[str, Shaped[Array, "..."]]:
    """``{"reward": {"kills": x}}`` -> ``{"reward/kills": x}``; leaves keep their shapes."""
    leaves, _ = jax.tree_util.tree_flatten_with_path(info)
    return {"/".join(str(entry.key) for entry in path): leaf for path, leaf in leaves}
