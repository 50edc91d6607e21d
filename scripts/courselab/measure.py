"""Timing helpers shared by the course's benchmarks (scripts/bench-trip.py, scripts/bench.py): samples, their
median and p99, a stand-in worker on raw Redis, and the spread of figures measured in rounds. Nothing here asserts
a time."""

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


def wait_count(r, n: int, timeout: float = 300, key: str = "perf:done") -> float:
    """Until the tasks have counted n done (an INCR each, under key); the time it happened."""
    deadline = time.monotonic() + timeout
    while int(r.get(key) or 0) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {int(r.get(key) or 0)} of {n} tasks done after {timeout:.0f} s")
        time.sleep(0.002)
    return time.perf_counter()


def echo_trips(r, port: int, timed) -> list[float]:
    """Raw Redis's round trip, one client: LPUSH a request, a stand-in worker (echo_thread) LPUSHes it back, BRPOP
    the reply — timed by `timed(fn)` (timings or timings_within, with their counts bound in)."""
    stop = threading.Event()
    echo = echo_thread(port, stop)
    try:
        return timed(lambda: (r.lpush("bench:req", b"x"), r.brpop(["bench:rep"], 5)))
    finally:
        stop.set()
        echo.join()


def spread(values: list[float]) -> tuple[float, float, float]:
    """The median of values, and their range: (median, lowest, highest)."""
    return statistics.median(values), min(values), max(values)


def per_round(a: list[float], b: list[float]) -> list[float]:
    """a ÷ b round by round: a ratio of two figures measured in the same round."""
    return [x / y for x, y in zip(a, b, strict=True)]


# What a direction says of a step (courselab.ladder_view): of its rate, then of its round trip. A transcript's
# `numbers` block masks these readings too (courselab.normalize): like the figures, they are the run's.
READINGS = {
    "up": ("faster in every round", "longer in every round"),
    "down": ("slower in every round", "shorter in every round"),
    "noise": ("within the noise", "within the noise"),
    "one round": ("one round: no spread to tell it from the noise", "one round: no spread"),
}


def direction(ratios: list[float]) -> str:
    """What ratios measured round by round can tell: "up" when every round's is above 1, "down" when every
    round's is below, "noise" when the rounds disagree, "one round" when there is only one. Rounds are
    interleaved, so a difference that holds in all of them is the change's, not a moment of the machine's; with
    five rounds, noise alone gives all five the same side one time in sixteen (a sign test)."""
    if len(ratios) < 2:
        return "one round"
    if min(ratios) > 1:
        return "up"
    if max(ratios) < 1:
        return "down"
    return "noise"


def timings_within(fn, n: int, budget: float = 1.0, least: int = 3) -> list[float]:
    """Seconds taken by each of up to n calls of fn: no more once `budget` seconds have gone, but `least` calls
    at least (a round trip that polls every half second gets three, not a hundred)."""
    out: list[float] = []
    start = time.perf_counter()
    while len(out) < n and (len(out) < least or time.perf_counter() - start < budget):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out
