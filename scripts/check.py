#!/usr/bin/env python3
"""The stage checker: where you are in the course, and what to do next.

    python scripts/check.py            the table of all stages and the next thing to do
    python scripts/check.py STAGE      one stage's checks in detail (stage ids: see the table)

Exit status 0 when every stage asked about is reached, 1 otherwise. Stages are declared in
stages.toml. The checker looks at Redis on localhost:$CELERY_LAB_REDIS_PORT (default 6379).
"""

from __future__ import annotations

import argparse
import sys

from courselab import checks, i18n, stages, ui


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", nargs="?", help="a stage id for its details")
    args = parser.parse_args(argv)
    course = stages.load()
    if args.stage is None:
        return 0 if ui.show_outcome(course, checks.run_all(course)) else 1
    try:
        stage = course.stage(args.stage)
    except KeyError as e:
        ui.console.print(f"[red]{e.args[0]}[/]")
        return 2
    results = checks.run_stage(course, stage)
    ui.console.print(ui.stage_details(stage, results))
    failed = [r for r in results if not r.ok]
    if failed:
        ui.console.print(ui.failure_panel(stage, failed[0]))
        return 1
    ui.console.print(f"[green]{i18n.say('reached', id=stage.id)}[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
