#!/usr/bin/env python3
"""The whole course end to end: every lesson from 02 on played exactly as written, in real terminals.

`make tour` builds what is missing first (apt prerequisites, the venv, Redis from source), then
runs this. Every command a lesson shows is typed into the terminal it names (tmux windows: main,
redis, worker, ...), long-running ones (redis-server, celery worker) stay running until the lesson
stops them with Ctrl-C, and every output the lessons show is compared with what really printed.
Each lesson's Verification runs `make check` for its stage. Everything the tour starts is stopped at
the end, also on Ctrl-C or a failure; a failure names the lesson line and shows the stage table.

    python scripts/tour.py              lessons 02 onwards (inside the course's VM: from 01, the VM path)
    python scripts/tour.py --from 05    start at lesson 05, from its setup blocks (--to 06: stop after 06)
    python scripts/tour.py --skip 15    every lesson but 15 (make tour ARGS="--skip 15"), saying it left it out

On the host the lessons use port 6379 inside a private network namespace where one can be made, so
nothing on this machine is touched; docs/transcripts.md explains this and the other cases.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from courselab import paths, ui
from courselab.transcript import LessonPlay, Player, PlayError, lessons
from courselab.world import World, WorldError
from rich.table import Table

console = ui.console
FAILURE = paths.RUN / "tour-failure.txt"  # the last failure's report


def summary(played: list[LessonPlay]) -> Table:
    table = Table(title="Lessons played as written", title_justify="left")
    for column in ("lesson", "commands typed", "outputs compared", "seconds"):
        table.add_column(column, justify="left" if column == "lesson" else "right")
    for p in played:
        table.add_row(p.lesson, str(p.commands), str(p.outputs), f"{p.seconds:.0f}")
    return table


def report(error: PlayError, world: World, player: Player) -> list[str]:
    """What a failed tour shows: the stage table, each terminal's last lines, and the failure itself."""
    lines = world.checker()
    for name, tail in world.terminals.tails().items():
        if name == "checker":  # the stage table above
            continue
        lines += [f"--- terminal {name}, its last lines:"] + player.display(tail)
    return lines + ["", "FAILED: " + str(error)]


def main(argv: list[str] | None = None) -> int:
    path = "vm" if paths.system_redis() else "host"
    first = "01" if path == "vm" else "02"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", default=first, help=f"the first lesson (default {first})")
    parser.add_argument("--to", dest="end", default="99", help="the last lesson (default: the last one)")
    parser.add_argument("--skip", action="append", default=[], metavar="NN", help="leave lesson NN out (repeatable)")
    args = parser.parse_args(argv)
    known = {p.name[:2] for p in lessons()}
    if unknown := sorted(set(args.skip) - known):
        parser.error(f"--skip: no lesson {', '.join(unknown)} (the lessons are {min(known)} to {max(known)})")
    chosen = [p for p in lessons() if max(args.start, first) <= p.name[:2] <= args.end]
    if not chosen:
        parser.error(f"no lesson from {args.start!r}")
    # Ctrl-C always interrupts, even when started in the background by a shell that ignores SIGINT for
    # its background jobs (the ignored disposition would be inherited); SIGTERM (e.g. from CI's timeout)
    # unwinds the same way, so everything started is stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    t0 = time.monotonic()
    played: list[LessonPlay] = []
    skipped: list[str] = []  # why each lesson this machine cannot play was left out
    FAILURE.unlink(missing_ok=True)
    failure = None
    try:
        with World(path, log=console.print) as world:
            console.print(world.describe(), style="yellow")
            player = Player(world.terminals, path, world.replacements(), echo=ui.echo)
            try:
                for lesson in chosen:
                    console.rule(f"[bold]Lesson {lesson.name}")
                    why = f"{lesson.name}: left out by --skip" if lesson.name[:2] in args.skip \
                        else world.cannot_play(lesson)
                    if why:
                        skipped.append(why)
                        console.print(f"Skipped: {why}.", style="yellow", markup=False, highlight=False, soft_wrap=True)
                        continue
                    played.append(player.play(lesson, alone=not played))
            except PlayError as e:
                failure = report(e, world, player)
    except WorldError as e:
        console.print(str(e), style="red", markup=False, highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted.[/]")
        return 130
    if failure is not None:
        # after the clean-up's lines, so that the end of a long log (CI's) shows it; and kept in a file
        # (make test-vm fetches it from the VM and prints it last)
        FAILURE.parent.mkdir(parents=True, exist_ok=True)
        FAILURE.write_text("\n".join(failure) + "\n")
        console.rule("[bold]Where the course stands, and what the terminals showed last")
        console.print("\n".join(failure), markup=False, highlight=False, soft_wrap=True)
        console.print(f"(kept in {FAILURE.relative_to(paths.REPO)})", style="red")
        return 1
    console.print(summary(played))
    took = f"Tour finished in {time.monotonic() - t0:.0f} s."
    if skipped:
        console.print(f"[green]Every other lesson played as written.[/] {took} Left out here, and why:")
        for why in skipped:
            console.print(f"  {why}.", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(f"[green]Every lesson played as written.[/] {took}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
