#!/usr/bin/env python3
"""Measure what Celery costs on top of Redis, side by side in one run.

Starts its own redis-server (the course's build, loopback, a free port) and lesson 05's worker
(`celery -A server worker`, prefork, as the lesson runs it), then measures:

  raw Redis   PING round trip; a message through a list and back (LPUSH + BRPOP, echoed by a thread)
  Celery      add.delay(2, 2).get() round trip; the article's `while not ready(): sleep(1)` loop;
              throughput of N small tasks sent at once and collected
  raw Redis   throughput of N messages through a list and back, for comparison

and prints each figure with its ratio to the raw Redis figure of the same kind. Nothing here
asserts a time: the numbers are for reading (lesson 06 quotes a run). --json writes them too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from courselab import lessonapp, paths, ui
from courselab.measure import echo_thread, summary, timings
from courselab.services import RedisServer, Services, Worker, free_port
from rich.table import Table


def measure(args) -> dict:
    import redis

    results: dict = {"n": args.n, "tasks": args.tasks}
    (paths.RUN / "bench").mkdir(parents=True, exist_ok=True)
    # its Redis's folder, removed once Redis has stopped (the with-blocks end in reverse order)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=paths.RUN / "bench") as work, Services() as services:
        port = free_port()
        os.environ["CELERY_LAB_REDIS_PORT"] = str(port)
        services.add(RedisServer(port, Path(work)))
        r = redis.Redis(port=port)

        results["redis_ping"] = summary(timings(r.ping, args.n))
        stop = threading.Event()
        echo = echo_thread(port, stop)

        def through_list():
            r.lpush("bench:req", b"x")
            r.brpop(["bench:rep"], timeout=5)

        results["redis_list_roundtrip"] = summary(timings(through_list, args.n))
        t = time.perf_counter()
        r.lpush("bench:req", *([b"x"] * args.tasks))
        for _ in range(args.tasks):
            r.brpop(["bench:rep"], timeout=5)
        results["redis_list_throughput_per_s"] = args.tasks / (time.perf_counter() - t)
        stop.set()
        echo.join()

        folder = paths.lesson_dir("05")
        services.add(Worker(folder, "server"))
        with lessonapp.lesson_app(folder, "server") as app:
            add = app.tasks["server.add"]
            add.delay(0, 0).get(timeout=30)  # warm up: connections, pool processes
            results["celery_roundtrip"] = summary(timings(lambda: add.delay(2, 2).get(timeout=10), args.n))

            def article_poll():
                result = add.delay(2, 2)
                while not result.ready():
                    time.sleep(1)
                result.get()

            results["celery_article_polling"] = summary(timings(article_poll, args.polls))
            t = time.perf_counter()
            pending = [add.delay(i, i) for i in range(args.tasks)]
            for p in pending:
                p.get(timeout=60)
            results["celery_throughput_per_s"] = args.tasks / (time.perf_counter() - t)
    return results


def report(res: dict) -> Table:
    ping, lst = res["redis_ping"], res["redis_list_roundtrip"]
    table = Table(title="Celery against raw Redis, measured side by side in one run", title_justify="left")
    for col in ("measure", "n", "median", "p99", "× raw Redis"):
        table.add_column(col, justify="left" if col == "measure" else "right")

    def row(name, s, base, base_name):
        table.add_row(name, str(s["n"]), f"{s['median_ms']:.2f} ms", f"{s['p99_ms']:.2f} ms",
                      f"{s['median_ms'] / base['median_ms']:.1f}× {base_name}")

    row("Redis PING", ping, ping, "PING")
    row("Redis LPUSH → echo → BRPOP", lst, ping, "PING")
    row("Celery add.delay(2, 2).get()", res["celery_roundtrip"], lst, "list trip")
    row("article: while not ready(): sleep(1)", res["celery_article_polling"], res["celery_roundtrip"], "get()")
    raw, cel = res["redis_list_throughput_per_s"], res["celery_throughput_per_s"]
    table.add_row(f"Redis list, {res['tasks']} messages", str(res["tasks"]), f"{raw:.0f} msg/s", "", "1.0×")
    table.add_row(f"Celery, {res['tasks']} add tasks", str(res["tasks"]), f"{cel:.0f} tasks/s", "",
                  f"{cel / raw:.2f}× list throughput")
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="round trips per latency figure (default 300)")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks for the throughput figure (default 1000)")
    parser.add_argument("--polls", type=int, default=3, help="runs of the article's polling loop (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    ui.console.print(f"Measuring with n={args.n}, tasks={args.tasks}, polls={args.polls} "
                     f"on {os.cpu_count()} CPU(s), Redis {paths.default_redis_version()} …")
    results = measure(args)
    ui.console.print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
