"""Play a lesson exactly as its README shows it, in real terminals, and compare what it prints.

The README's blocks (courselab.lessontext) are played in order: command blocks are typed into the
terminal they name, keys blocks pressed, and output blocks compared with what that terminal really
printed (courselab.normalize). In bless mode the output blocks are rewritten from the run instead.

Between lessons, what keeps running is a contract: when a lesson ends, the terminals still running
something must be exactly those the next lesson's `setup` blocks start (the last lesson: none). So a
lesson that forgets to stop something, or stops what the next one needs, fails where it ends.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import lessontext, normalize, paths, zh_edition
from .lessontext import Block
from .terminals import TerminalError, Terminals, poll

COMMAND_TIMEOUT = 600.0  # a command that finishes (make -j2 of Redis inside a slow VM is the longest)
READY_TIMEOUT = 90.0  # a command that keeps running, until its `ready` line
OUTPUT_TIMEOUT = 20.0  # a running command's next lines (a worker's log)


class PlayError(RuntimeError):
    """The lesson, as written, does not play: names the README line and shows what happened."""


@dataclass
class LessonPlay:
    lesson: str
    commands: int = 0
    outputs: int = 0
    blessed: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0


def lessons() -> list[Path]:
    return sorted(p for p in paths.LESSONS.iterdir() if p.is_dir() and p.name[:2].isdigit())


def next_lesson(lesson: Path) -> Path | None:
    ordered = lessons()
    i = [p.name for p in ordered].index(lesson.name)
    return ordered[i + 1] if i + 1 < len(ordered) else None


def expected_running(lesson: Path | None, path: str) -> dict[str, str]:
    """What must run when `lesson` begins: its setup blocks that keep running, by terminal."""
    if lesson is None:
        return {}
    out = {}
    for block in lessontext.read(lesson):
        if block.kind == "command" and block.setup and block.on(path) and "ready" in block.attrs:
            out[block.term] = "\n".join(block.commands()[-1])
    return out


class Player:
    def __init__(self, terminals: Terminals, path: str, replacements: list[tuple[str, str]], bless: bool = False,
                 echo=None):
        self.t = terminals
        self.path = path
        self.replacements = replacements
        self.bless = bless
        self.echo = echo or (lambda kind, text: None)

    def display(self, lines: list[str]) -> list[str]:
        return normalize.display("\n".join(lines), self.replacements).split("\n") if lines else []

    # --- one lesson ------------------------------------------------------------------------------

    def play(self, lesson: Path, alone: bool, readme: Path | None = None) -> LessonPlay:
        started = time.monotonic()
        text = (readme or lesson / "README.md").read_text()
        result = LessonPlay(lesson.name)
        blocks = lessontext.blocks(text, lesson.name)
        for i, block in enumerate(blocks):
            if not block.on(self.path) or (block.setup and not alone):
                continue
            try:
                if block.kind == "command":
                    self.command(block)
                    result.commands += len(block.commands())
                elif block.kind == "keys":
                    self.echo("keys", f"[{block.term}] {block.body.strip()}")
                    self.t.press(block.term, block.key())
                elif block.kind == "output":
                    self.output(block, result)
                    result.outputs += 1
            except (TerminalError, PlayError) as e:
                self.clean_up(lesson, blocks[i:])
                if isinstance(e, PlayError):
                    raise
                raise PlayError(f"{block.where}: {e}") from None
        self.check_contract(lesson)
        if self.bless and result.blessed:
            target = readme or lesson / "README.md"
            target.write_text(lessontext.rewrite(text, result.blessed))
            zh_edition.follow(target)  # the Chinese edition shares the blocks
        result.seconds = time.monotonic() - started
        return result

    def clean_up(self, lesson: Path, rest: list[Block]) -> None:
        """The lesson failed: run its `cleanup` blocks not played yet (lesson 21's `sudo ./install.sh --remove`),
        outside the terminals, whatever state they are in; say what each did."""
        for block in rest:
            if block.kind != "command" or not block.cleanup or not block.on(self.path):
                continue
            script = "\n".join("\n".join(lines) for lines in block.commands())
            done = subprocess.run(["bash", "-c", script], cwd=lesson, capture_output=True, text=True, timeout=300)
            self.echo("command", f"(the lesson failed: its clean-up, {block.where}, exit status {done.returncode})\n"
                                 + (done.stdout + done.stderr).strip())

    def command(self, block: Block) -> None:
        commands = block.commands()
        term = self.t.terminal(block.term)
        timeout = float(block.attrs.get("timeout", COMMAND_TIMEOUT))
        for i, lines in enumerate(commands):
            last = i == len(commands) - 1
            self.echo("command", f"[{block.term}] $ " + "\n".join(lines))
            number = self.t.type(block.term, lines)
            if i == 0:
                term.mark = (number, 0)  # an output block after this shows from here on
            if last and "ready" in block.attrs:
                self.t.wait_ready(block.term, number, block.attrs["ready"], READY_TIMEOUT)
                continue
            status = self.t.wait_done(block.term, number, timeout)
            want = int(block.attrs.get("status", 0)) if last else 0
            if status != want:
                out = "\n".join(self.display(term.outputs().get(number, []))[-25:])
                raise PlayError(f"{block.where}: `{' '.join(lines)}` in terminal {block.term} exited with status "
                                f"{status} (the lesson expects {want}). It printed:\n{out}")

    def output(self, block: Block, result: LessonPlay) -> None:
        term = self.t.terminal(block.term)
        shown = block.lines()
        rules = normalize.Rules.of(block.attrs)
        running = term.running is not None and term.running.number >= term.mark[0]

        def current() -> tuple[list[str], list[tuple[int, int]]]:
            lines, ends = term.since_mark()
            return self.display(lines), ends

        bless_to_end = self.bless and running and "ends" in block.attrs
        if running and not bless_to_end and (not self.bless or rules.excerpt):
            # a command that keeps running: its next lines, once they are there (to bless an excerpt too: its
            # lines are what to wait for)
            state = {}

            def arrived():
                lines, ends = current()
                n = normalize.consumed(shown, lines, rules)
                state.update(lines=lines, end=ends[-1] if n is None else ends[n])
                return n is not None

            ok = poll(arrived, float(block.attrs.get("timeout", OUTPUT_TIMEOUT)))
            lines, end = state["lines"], state["end"]
        else:
            if bless_to_end:  # all it prints, until it has ended
                number = term.running.number
                poll(lambda: term.finished(number) is not None, float(block.attrs.get("timeout", OUTPUT_TIMEOUT)))
            elif running:  # bless: wait until the running command has been quiet for a moment
                _quiet(lambda: current()[0], 1.5, float(block.attrs.get("timeout", OUTPUT_TIMEOUT)))
            lines, ends = current()
            end = ends[-1]
            ok = normalize.matches(shown, lines, rules)
        self.echo("output", "\n".join(lines))
        if self.bless:
            new = normalize.bless(shown, lines, rules)
            if new is None:
                raise PlayError(f"{block.where}: cannot regenerate this excerpt: some of its lines have no "
                                "counterpart in the real output any more.\n"
                                + normalize.diff(shown, lines, block.where))
            body = "\n".join(new)
            if body + "\n" != block.body:
                result.blessed[block.line] = body + "\n"
            shown = new
        elif not ok:
            kind = "an excerpt of" if rules.excerpt else "what"
            raise PlayError(f"{block.where}: the lesson shows {kind} terminal {block.term} printed, but the real "
                            f"run differs:\n{normalize.diff(shown, lines, block.where)}")
        if rules.excerpt and not running:
            # an excerpt of a command that has ended ends at its last line: a next block shows what followed
            n = normalize.consumed(shown, lines, rules)
            end = end if n is None else ends[n]
        term.mark = end
        if "ends" in block.attrs:
            self.ended(block)

    def ended(self, block: Block) -> None:
        """An output block marked `ends`: the command running in its terminal stops by itself here (another
        terminal told it to, as `celery control shutdown` does a worker), with exit status `status` (0)."""
        term = self.t.terminal(block.term)
        if term.running is None:
            raise PlayError(f"{block.where}: `ends`, but nothing runs in terminal {block.term}")
        command = term.running.command
        try:
            timeout = float(block.attrs.get("timeout", OUTPUT_TIMEOUT))
            status = self.t.wait_done(block.term, term.running.number, timeout)
        except TerminalError as e:
            raise PlayError(f"{block.where}: {e} (the lesson says it ends here)") from None
        want = int(block.attrs.get("status", 0))
        if status != want:
            raise PlayError(f"{block.where}: `{command}` in terminal {block.term} ended with status {status} "
                            f"(the lesson expects {want})")

    # --- between lessons -------------------------------------------------------------------------

    def check_contract(self, lesson: Path) -> None:
        nxt = next_lesson(lesson)
        want = expected_running(nxt, self.path)
        have = {name: r.command for name, r in self.t.running().items()}
        then = f"lesson {nxt.name[:2]} expects" if nxt else "the course ends, so nothing may run"
        for name, command in have.items():
            if name not in want:
                raise PlayError(f"lessons/{lesson.name}/README.md: the lesson ends with `{command}` still running in "
                                f"terminal {name}, but {then} there. Stop it (a keys block: Ctrl-C) before Next.")
            if want[name] != command:
                raise PlayError(f"lessons/{lesson.name}/README.md: the lesson ends with `{command}` running in "
                                f"terminal {name}, but {then} `{want[name]}` there (its setup block).")
        for name, command in want.items():
            if name not in have:
                raise PlayError(f"lessons/{lesson.name}/README.md: {then} `{command}` to be running in terminal {name} "
                                f"(its setup block), but this lesson leaves nothing running there.")


def _quiet(read, quiet_for: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            return
