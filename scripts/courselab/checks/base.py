"""What every check module shares: the registry, the failure a check raises, a Redis client."""

from __future__ import annotations

from collections.abc import Callable

from .. import paths
from ..stages import Stage

__all__ = ["CHECKS", "Failed", "ScriptError", "Stage", "check", "redis_client"]


class Failed(Exception):
    """A check saw its stage not reached: `cause` names the stages.toml cause that explains why."""

    def __init__(self, cause: str, detail: str):
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


class ScriptError(Exception):
    """A lesson script failed; its whole stderr is matched against the causes."""

    def __init__(self, summary: str, stderr: str):
        super().__init__(summary)
        self.stderr = stderr


CHECKS: dict[str, Callable[..., str]] = {}


def check(fn: Callable[..., str]) -> Callable[..., str]:
    """Register a check under its function's name, the `fn` of stages.toml."""
    CHECKS[fn.__name__] = fn
    return fn


def redis_client(db: int = 0, timeout: float = 2.0):
    import redis

    return redis.Redis(host="localhost", port=paths.redis_port(), db=db,
                       socket_timeout=timeout, socket_connect_timeout=timeout)
