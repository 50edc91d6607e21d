"""The checks that read what tasks left in the result backend (lessons 08 on)."""

from __future__ import annotations

import json
from collections import Counter

from .. import lessonapp, paths
from .base import Failed, Stage, check

# --- stages: inside-redis (lesson 08), task-states (lesson 09) --------------------------------


@check
def result_in_redis(stage: Stage, app: str, task: str, status: str = "SUCCESS", min_retries: int = 0,
                    args: list | None = None, cause: str = "no-task-result") -> str:
    """A result of `task` with `status` (at least `min_retries` retries, these `args` if given) in the app's
    result backend.

    result_extended=True keeps the task's name, arguments and number of retries in each result."""
    import redis

    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), app) as celery_app:
        url = celery_app.conf.result_backend
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    seen = Counter()
    for key in client.scan_iter("celery-task-meta-*", count=1000):
        meta = json.loads(client.get(key) or "{}")
        name, state, retries = meta.get("name"), meta.get("status"), meta.get("retries") or 0
        seen[(name, state, retries)] += 1
        if name == task and state == status and retries >= min_retries and args in (None, meta.get("args")):
            after = f" after {retries} retries" if min_retries else ""
            return f"{key.decode()}: {task} {status}{after}, result {shown(meta.get('result'))}"
    wanted = (f"{status} result of {task}" + (f"{tuple(args)}" if args is not None else "")
              + (f" with {min_retries}+ retries" if min_retries else ""))
    others = ", ".join(f"{n} × {name} {state}" + (f" ({retries} retries)" if retries else "")
                       for (name, state, retries), n in seen.most_common(3) if name) or "none with a task name"
    raise Failed(cause, f"no {wanted} among {sum(seen.values())} celery-task-meta-* keys in {url} ({others})")


def shown(result: object) -> str:
    """A stored result as the learner saw it: an exception (kept as JSON) as ZeroDivisionError('...')."""
    if isinstance(result, dict) and "exc_type" in result:
        return f"{result['exc_type']}({', '.join(map(repr, result.get('exc_message') or []))})"
    return repr(result)
