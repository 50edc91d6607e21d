#!/usr/bin/env python3
"""Lesson 15's peers (`make bench-peers`): the same tiny task on Celery, RQ, Dramatiq, Huey and arq, on one Redis.

Starts its own redis-server (the course's build, loopback, a free port, nothing on disk), Celery's default worker
and its top rung's, and each peer's worker as its own docs start it (from .venv/peers); measures them in
interleaved rounds beside raw Redis; prints the table and writes the figures (--json). Every process it started
is stopped by its PID, also on Ctrl-C. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from courselab import paths, peers, peers_view, ui


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=300, help="tasks per burst, in each round (default 300)")
    parser.add_argument("-n", "--trips", type=int, default=20,
                        help="round trips per system, in each round: at most a second's worth, 3 at least (default 20)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--json", type=Path, default=peers.FIGURES,
                        help="where the figures go (default .run/bench/peers.json)")
    args = parser.parse_args()
    if min(args.tasks, args.trips, args.rounds) < 1:
        parser.error("--tasks, --trips and --rounds count something: say 1 or more")
    ui.console.print(f"The peers: {args.rounds} rounds of {args.tasks} tasks per burst and up to {args.trips} round "
                     f"trips each, Redis {paths.default_redis_version()} …")
    figures = peers.measure(args.tasks, args.trips, args.rounds, progress=lambda text: ui.console.print(f"  {text}"))
    ui.console.print(peers_view.table(figures))
    ui.console.print(f"  {peers_view.parsers_line(figures)}")
    ui.console.print(f"  {peers_view.versions_line(figures)}")
    ui.console.print(peers_view.kills_table(figures))
    ui.console.print(f"figures: {paths.show(peers.write(figures, args.json))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
