"""The environment protocol, its wrappers (auto-reset, reset pool, episode statistics) and the tiny corridor."""
