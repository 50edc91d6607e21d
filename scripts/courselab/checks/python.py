"""The Python packages' checks (lesson 04)."""

from __future__ import annotations

import sys
from importlib import metadata

from .base import Failed, Stage, check

# --- stage: python-deps ----------------------------------------------------------------------


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        raise Failed("deps-missing", f"{name} is not installed in {sys.prefix}") from None


@check
def packages(stage: Stage, require: dict[str, str]) -> str:
    from packaging.specifiers import SpecifierSet

    seen = []
    for name, spec in require.items():
        version = _installed(name)
        if version not in SpecifierSet(spec):
            raise Failed("deps-version", f"{name} {version} is not {spec}")
        seen.append(f"{name} {version}")
    return ", ".join(seen)


@check
def redis_py_rule(stage: Stage) -> str:
    """Today's version of the article's 'celery >= 4 needs redis >= 2.10.4': kombu's redis extra."""
    from packaging.requirements import Requirement

    kombu = _installed("kombu")
    redis_py = _installed("redis")
    for line in metadata.requires("kombu") or ():
        req = Requirement(line)
        if req.name == "redis" and req.marker and req.marker.evaluate({"extra": "redis"}):
            if redis_py not in req.specifier:
                raise Failed("deps-version", f"kombu {kombu} needs redis{req.specifier}, installed: {redis_py}")
            return f"kombu {kombu} needs redis{req.specifier}: redis {redis_py} fits"
    raise Failed("deps-version", f"kombu {kombu} declares no redis extra")
