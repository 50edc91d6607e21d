#!/usr/bin/env python3
"""Lesson 15's performance ladder (`make bench`): Celery, one change at a time, against raw Redis in one run.

Starts its own redis-server (the course's build, loopback, a free port, nothing on disk) and, rung after
rung, lesson 15's worker (`celery -A perf worker` with that rung's options); prints the table, writes the
figures (--json) and the chart (--chart). The figures are for reading: nothing here asserts a time.
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
    parser.add_argument("--tasks", type=int, default=3000, help="tasks per burst (default 3000)")
    parser.add_argument("-n", "--trips", type=int, default=300, help="get() round trips per rung (default 300)")
    parser.add_argument("--chunk", type=int, default=100, help="calls per message in the chunks rung (default 100)")
    parser.add_argument("--json", type=Path, default=ladder.FIGURES,
                        help="where the figures go (default .run/bench/ladder.json)")
    parser.add_argument("--chart", type=Path, default=ladder.CHART,
                        help="where the chart goes (default .run/bench/ladder.png)")
    args = parser.parse_args()
    ui.console.print(f"The ladder: {args.tasks} tasks per burst, {args.trips} round trips per rung, "
                     f"Redis {paths.default_redis_version()} …")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    figures, rungs = ladder.measure(args.tasks, args.trips, args.chunk,
                                    progress=lambda text: ui.console.print(f"  {text}"), profiles=args.json.parent)
    ui.console.print(ladder_view.table(figures, rungs))
    for line in ladder_view.legend(rungs):
        ui.console.print(f"  {line}")
    ui.console.print(f"  {ladder_view.parsers_line(figures, rungs)}")
    for line in ladder_view.goals(figures, rungs):
        ui.console.print(f"- {line}")
    ui.console.print(ladder_view.io_table(figures))
    ui.console.print(ladder_view.profile_table(figures, rungs))
    ui.console.print(f"  {ladder_view.per_message_line(figures)}")
    ui.console.print(f"  the profiles: {display(args.json.parent / 'worker-chunks.prof')}, "
                     f"{display(args.json.parent / 'client-get.prof')} (python -m pstats FILE)")
    args.json.write_text(json.dumps(dataclasses.asdict(figures), indent=2) + "\n")
    ladder_view.chart(figures, rungs, args.chart)
    ui.console.print(f"figures: {display(args.json)}  chart: {display(args.chart)}")
    return 0


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.REPO))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
