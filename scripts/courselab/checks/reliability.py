"""The check of lesson 13: what the lesson's own counters in Redis say of the tasks it submitted."""

from __future__ import annotations

from .. import lessonapp, paths
from .base import Failed, Stage, check


@check
def nothing_lost(stage: Stage, app: str) -> str:
    """Every task id in the set `submitted` (submit.py) has completed (the hash `completed`, counted by the task)."""
    import redis

    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), app) as celery_app:
        url = celery_app.conf.broker_url
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)
    submitted, completed = client.smembers("submitted"), client.hgetall("completed")
    if not submitted:
        raise Failed("tasks-lost", f"no submitted task ids in {url} (the set `submitted`)")
    missing = submitted - completed.keys()
    if missing:
        waiting = f"{client.llen('celery')} queued, {client.hlen('unacked')} unacknowledged"
        raise Failed("tasks-lost", f"{len(missing)} of {len(submitted)} submitted tasks never completed ({waiting})")
    twice = sum(int(n) > 1 for n in completed.values())
    return f"all {len(submitted)} submitted tasks completed" + (f", {twice} of them twice" if twice else "")
