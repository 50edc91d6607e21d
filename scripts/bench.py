#!/usr/bin/env python3
"""Lesson 15's performance ladder (`make bench`): Celery, one change at a time, against raw Redis in one run.

Starts its own redis-server (the course's build, loopback, a free port, nothing on disk) and a worker per rung
(`celery -A perf worker` with that rung's options, each on a queue of its own), then measures everything in
interleaved rounds; prints the table (medians of the rounds, ratios with their range), what each step can tell
from the noise, writes the figures (--json) and the chart (--chart). The figures are for reading: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from courselab import ladder, ladder_view, paths, ui


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per burst, in each round (default 1000)")
    parser.add_argument("-n", "--trips", type=int, default=100,
                        help="get() round trips per rung, in each round (default 100)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--chunk", type=int, default=100, help="calls per message in the chunks rung (default 100)")
    parser.add_argument("--json", type=Path, default=ladder.FIGURES,
                        help="where the figures go (default .run/bench/ladder.json)")
    parser.add_argument("--chart", type=Path, default=ladder.CHART,
                        help="where the chart goes (default .run/bench/ladder.png)")
    args = parser.parse_args()
    if min(args.tasks, args.trips, args.rounds) < 1:
        parser.error("--tasks, --trips and --rounds count something: say 1 or more")
    ui.console.print(f"The ladder: {args.rounds} rounds of {args.tasks} tasks per burst and {args.trips} round trips "
                     f"per rung, Redis {paths.default_redis_version()} …")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    figures, rungs = ladder.measure(args.tasks, args.trips, args.chunk, args.rounds,
                                    progress=lambda text: ui.console.print(f"  {text}"), profiles=args.json.parent)
    ui.console.print(ladder_view.table(figures, rungs))
    ui.console.print(ladder_view.steps(figures, rungs))
    for line in ladder_view.legend(rungs):
        ui.console.print(f"  {line}")
    ui.console.print(f"  {ladder_view.parsers_line(figures, rungs)}")
    ui.console.print(ladder_view.goals(figures, rungs))
    for line in ladder_view.limits(figures, rungs):
        ui.console.print(f"- {line}")
    ui.console.print(ladder_view.io_table(figures))
    ui.console.print(ladder_view.profile_table(figures, rungs))
    ui.console.print(f"  {ladder_view.per_message_line(figures)}")
    ui.console.print(f"  the profiles: {paths.show(args.json.parent / 'worker-chunks.prof')}, "
                     f"{paths.show(args.json.parent / 'client-get.prof')} (python -m pstats FILE)")
    args.json.write_text(json.dumps(dataclasses.asdict(figures), indent=2) + "\n")
    ladder_view.chart(figures, rungs, args.chart)
    ui.console.print(f"figures: {paths.show(args.json)}  chart: {paths.show(args.chart)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
