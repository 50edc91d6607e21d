"""Load a lesson's Celery app the way `celery -A` does, and point it at the course's Redis.

The lesson code keeps the article's URLs (localhost:6379). When the course's Redis runs on
another port (6379 was taken), the tools rewrite only the port, keeping each URL's database,
and hand the result to Celery through its own CELERY_BROKER_URL / CELERY_RESULT_BACKEND
environment variables.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import paths

ENV_URLS = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def with_port(url: str, port: int) -> str:
    """redis://localhost:6379/1 -> redis://localhost:<port>/1 (host, database and the rest kept)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    auth = parts.netloc.rpartition("@")[0]
    netloc = f"{auth}@{host}:{port}" if auth else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@contextlib.contextmanager
def lesson_app(folder: Path, module: str) -> Iterator:
    """Import `module` from a lesson folder and yield its Celery app, then forget the import.

    Like `celery -A module` run in that folder: the folder goes first on sys.path. The modules
    imported on the way (server, app, config) are removed afterwards, with the shared-task hooks
    they left in Celery, so the next lesson's modules of the same names load fresh.
    """
    from celery import Celery, _state

    before = set(sys.modules)
    finalizers = set(_state._on_app_finalizers)
    default_app = _state.default_app  # lesson 20's celery_init_app makes its app the process's default
    sys.path.insert(0, str(folder))
    try:
        mod = __import__(module)
        # as `celery -A module` finds it: `app`, `celery`, else the module's one Celery app (lesson 20's celery_app)
        app = getattr(mod, "app", None) or getattr(mod, "celery", None) or next(
            (v for v in vars(mod).values() if isinstance(v, Celery)), None)
        if app is None:
            raise LookupError(f"{folder}/{module}.py defines no Celery app named 'app'")
        port = paths.redis_port()
        if port != paths.DEFAULT_PORT and not any(os.environ.get(v) for v in ENV_URLS):
            app.conf.broker_url = with_port(app.conf.broker_url, port)
            if app.conf.result_backend:
                app.conf.result_backend = with_port(app.conf.result_backend, port)
        yield app
    finally:
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            del sys.modules[name]
        # @app.task also leaves Celery a hook that registers the task in every app finalized later
        # (shared tasks): forget those too, or the next lesson's app would meet this one's functions
        # under the same names (DuplicateTaskNameWarning).
        _state._on_app_finalizers.intersection_update(finalizers)
        _state.default_app = default_app


def configured_urls(folder: Path, module: str) -> tuple[str, str]:
    """The broker and backend URLs the lesson's code names, with no environment override."""
    saved = {v: os.environ.pop(v) for v in ENV_URLS if v in os.environ}
    try:
        try:
            with lesson_app(folder, module) as app:
                return app.conf.broker_url, app.conf.result_backend
        except Exception:
            # config.py that Celery refuses to load (mixed setting names): read it as plain Python.
            conf = runpy.run_path(str(folder / "config.py"))
            broker = conf.get("broker_url") or conf["BROKER_URL"]
            backend = conf.get("result_backend") or conf["CELERY_RESULT_BACKEND"]
            return broker, backend
    finally:
        os.environ.update(saved)


def lesson_env(folder: Path, module: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a process that runs lesson code (a worker, a client) against the course's Redis (a
    CELERY_BROKER_URL or CELERY_RESULT_BACKEND already in the environment is kept: lesson 14 moves its broker)."""
    env = dict(os.environ if base is None else base)
    env["PYTHONUNBUFFERED"] = "1"
    port = paths.redis_port()
    if port != paths.DEFAULT_PORT:
        try:
            urls = configured_urls(folder, module)
        except Exception:  # no such module here (wrong folder): let the process fail with Celery's own words
            return env
        for var, url in zip(ENV_URLS, urls, strict=True):
            if url and not env.get(var):  # a URL already given wins, as in Celery; no backend stays none
                env[var] = with_port(url, port)
    return env
