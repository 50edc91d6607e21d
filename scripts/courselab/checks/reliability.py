"""The checks of lessons 13 and 14: what the lessons' ledger says of the tasks it submitted, and whether the broker
the lessons' app uses keeps its messages through a restart and a full memory."""

from __future__ import annotations

from .. import lessonapp, paths
from .base import Failed, Stage, check


def _urls(stage: Stage, app: str) -> tuple[str, str]:
    """The broker's URL and the ledger's (reliable.py keeps its counts beside the results), as the app sees them."""
    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), app) as celery_app:
        return celery_app.conf.broker_url, celery_app.conf.result_backend


def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)


@check
def nothing_lost(stage: Stage, app: str, lost: str = "tasks-lost") -> str:
    """Every task id in the set `submitted` (submit.py) has completed (the hash `completed`, counted by the task);
    tasks still held at a shut gate are named as such. `lost`: the cause that says how this lesson loses none."""
    broker_url, ledger_url = _urls(stage, app)
    ledger = _client(ledger_url)
    submitted, completed = ledger.smembers("submitted"), ledger.hgetall("completed")
    if not submitted:
        raise Failed(lost, f"no submitted task ids in {ledger_url} (the set `submitted`)")
    missing = submitted - completed.keys()
    if missing and ledger.get("gate") != "open":
        raise Failed("gate-shut", f"{len(missing)} of {len(submitted)} submitted tasks have not completed, and the "
                     "gate they wait at is shut (the key `gate`)")
    if missing:
        broker = _client(broker_url)
        waiting = f"{broker.llen('celery')} queued, {broker.hlen('unacked')} unacknowledged in {broker_url}"
        raise Failed(lost, f"{len(missing)} of {len(submitted)} submitted tasks never completed ({waiting})")
    twice = sum(int(n) > 1 for n in completed.values())
    return f"all {len(submitted)} submitted tasks completed" + (f", {twice} of them twice" if twice else "")


@check
def broker_keeps_messages(stage: Stage, app: str) -> str:
    """The broker's Redis logs every write to an append-only file and refuses writes rather than evict keys."""
    url, _ = _urls(stage, app)
    info = _client(url).info()
    aof, policy = info.get("aof_enabled"), info.get("maxmemory_policy")
    if aof != 1:
        raise Failed("broker-forgets", f"the broker {url} has no append-only file (aof_enabled:{aof}): "
                     "a restart forgets its queue")
    if policy != "noeviction":
        raise Failed("broker-forgets", f"the broker {url} evicts keys when full (maxmemory-policy {policy})")
    return f"the broker {url} keeps an append-only file and refuses writes when full (noeviction)"
