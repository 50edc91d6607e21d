"""One round of one of lesson 15's peers, from its own client: `python -m courselab.peer_client PEER burst N M`;
and N of the kill -9 count's tasks sent to it: `python -m courselab.peer_client PEER hold N`.

courselab.peers runs it in a process of its own, in lessons/15-performance, with PYTHONPATH=.venv/peers
(the peers' redis-py 5, not the venv's 8) and REDIS_URL: a burst of N ticks sent, then waited for by the count of
INCRs (results stored as the peer stores them, collected by nobody), then up to M round trips (a second's worth,
three at least), each sent and then waited for the peer's own documented way. Prints one line of JSON: the
burst's rate, each round trip in seconds, the parser redis-py picked in this process. Nothing here asserts a
time.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import redis
import redis.utils

from courselab.measure import timings_within, wait_count

# Each peer's client: (send a tick, send a tick and wait for its result, send a hold), each the peer's own way.

def rq(url: str):
    from rq import Queue
    from rq_tick import hold, tick

    queue = Queue(connection=redis.Redis.from_url(url))
    return (lambda: queue.enqueue(tick)), (lambda: queue.enqueue(tick).latest_result(timeout=30)), \
        (lambda: queue.enqueue(hold))


def dramatiq(url: str):
    from dramatiq_tick import broker, hold, tick

    backend = next(m for m in broker.middleware if type(m).__name__ == "Results").backend
    return tick.send, (lambda: backend.get_result(tick.send(), block=True, timeout=30_000)), hold.send


def huey(url: str):
    from huey_tick import hold, tick

    return tick, (lambda: tick().get(blocking=True, timeout=30)), hold


def arq(url: str):
    from arq import create_pool
    from arq_tick import WorkerSettings

    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(create_pool(WorkerSettings.redis_settings))

    async def trip():
        job = await pool.enqueue_job("tick")
        return await job.result(timeout=30)

    return (lambda: loop.run_until_complete(pool.enqueue_job("tick"))), (lambda: loop.run_until_complete(trip())), \
        (lambda: loop.run_until_complete(pool.enqueue_job("hold")))


CLIENTS = {"rq": rq, "dramatiq": dramatiq, "huey": huey, "arq": arq}


def main(peer: str, mode: str, tasks: int, trips: int = 0) -> dict:
    url = os.environ["REDIS_URL"]
    r = redis.Redis.from_url(url)
    send, trip, hold = CLIENTS[peer](url)
    if mode == "hold":
        for _ in range(tasks):
            hold()
        return {"sent": tasks}
    r.delete("perf:done")
    t = time.perf_counter()
    for _ in range(tasks):
        send()
    rate = tasks / (wait_count(r, tasks) - t)
    samples = timings_within(trip, trips) if trips else []
    parser = f"hiredis {__import__('hiredis').__version__}" if redis.utils.HIREDIS_AVAILABLE else "Python"
    return {"rate": rate, "trips": samples, "parser": parser, "redis_py": redis.__version__}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:]))))
