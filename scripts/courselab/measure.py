"""Timing helpers shared by the course's benchmarks (scripts/bench-trip.py, scripts/bench.py): samples, their
median and p99, and a stand-in worker on raw Redis. Nothing here asserts a time."""

from __future__ import annotations

import statistics
import threading
import time


def timings(fn, n: int) -> list[float]:
    """Seconds taken by each of n calls of fn."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(samples: list[float]) -> dict:
    """n, median and p99 of samples in seconds, in milliseconds."""
    ordered = sorted(samples)
    return {"n": len(samples), "median_ms": statistics.median(ordered) * 1e3,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3}


def echo_thread(port: int, stop: threading.Event) -> threading.Thread:
    """A stand-in worker on raw Redis: BRPOP the list bench:req, LPUSH to bench:rep, until `stop` is set."""
    import redis

    def run():
        r = redis.Redis(port=port)
        while not stop.is_set():
            item = r.brpop(["bench:req"], timeout=0.2)
            if item:
                r.lpush("bench:rep", item[1])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
