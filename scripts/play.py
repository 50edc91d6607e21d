#!/usr/bin/env python3
"""Play lessons exactly as written: every command typed into a real terminal, every shown output compared.

    python scripts/play.py 03 05            each lesson on its own, from a fresh start (its setup blocks)
    python scripts/play.py --sequence 02 03 ...   in order, one lesson after the other, as a learner does
    python scripts/play.py --bless 06       rewrite lesson 06's shown outputs from a real run
    python scripts/play.py --path vm 03     the VM path (inside the course's VM; the default there)
    python scripts/play.py --adopt DIR 01 02 take the shown outputs from DIR/lessons/*/README.md, copies
                                             blessed elsewhere (BLESS=1 make test-vm does this)

Exit status 0 when every lesson played as written; 1 when one did not (the message names the README
line and shows the difference); 2 for bad arguments. docs/transcripts.md explains the block syntax,
the normalisation and the isolation.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from courselab import lessontext, paths, ui, zh_edition
from courselab.transcript import Player, PlayError, lessons
from courselab.world import World, WorldError

console = ui.console


def resolve(names: list[str]) -> list[Path]:
    known = lessons()
    out = []
    for name in names:
        match = [p for p in known if p.name == name or p.name.startswith(f"{name}-") or p.name[:2] == name]
        if len(match) != 1:
            raise SystemExit(f"play: no lesson {name!r}; the lessons are: {', '.join(p.name for p in known)}")
        out.append(match[0])
    return out


def adopt(folder: Path, chosen: list[Path]) -> int:
    for lesson in chosen:
        readme = lesson / "README.md"
        blessed = (folder / "lessons" / lesson.name / "README.md").read_text()
        try:
            new = lessontext.adopt_outputs(readme.read_text(), blessed, lesson.name)
        except lessontext.LessonTextError as e:
            console.print(str(e), style="red", markup=False)
            return 1
        changed = new != readme.read_text()
        readme.write_text(new)
        zh_edition.follow(readme)  # the Chinese edition shares the blocks
        console.print(f"{lesson.name}: {'outputs taken from ' + str(folder) if changed else 'no output changed'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="+", help="lesson numbers or folder names")
    parser.add_argument("--sequence", action="store_true", help="play them in order in the same terminals")
    parser.add_argument("--bless", action="store_true", help="rewrite the shown outputs from this run")
    parser.add_argument("--path", choices=["host", "vm"], default="vm" if paths.system_redis() else "host")
    parser.add_argument("--readme", type=Path, help="play this file as the (single) lesson's README")
    parser.add_argument("--adopt", type=Path, metavar="DIR", help="take the outputs blessed in DIR, play nothing")
    args = parser.parse_args(argv)
    chosen = resolve(args.lessons)
    if args.adopt:
        return adopt(args.adopt, chosen)
    if args.readme and len(chosen) != 1:
        parser.error("--readme goes with exactly one lesson")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    groups = [chosen] if args.sequence else [[lesson] for lesson in chosen]
    t0 = time.monotonic()
    try:
        for group in groups:
            with World(args.path, log=console.print) as world:
                console.print(world.describe(), style="yellow")
                player = Player(world.terminals, args.path, world.replacements(), bless=args.bless, echo=ui.echo)
                for i, lesson in enumerate(group):
                    console.rule(f"[bold]{lesson.name}")
                    if why := world.cannot_play(lesson):
                        raise WorldError(f"play: {why}.")
                    # a lesson played on its own, or the first of a sequence, starts from its setup blocks
                    done = player.play(lesson, alone=(i == 0), readme=args.readme)
                    what = f"{done.commands} commands, {done.outputs} outputs compared"
                    if args.bless:
                        what += f", {len(done.blessed)} rewritten"
                    console.print(f"[green]✓ {lesson.name}[/]: played as written ({what}) in {done.seconds:.0f} s")
    except (PlayError, WorldError) as e:
        console.print(str(e), style="red", markup=False, highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted.[/]")
        return 130
    console.print(f"Played in {time.monotonic() - t0:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
