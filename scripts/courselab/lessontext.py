"""A lesson's README as the transcript runner reads it: its fenced blocks and what they say.

The fence's info string names the block's language and, for the blocks that are played, where:

    ```bash term=main                  commands, typed one line at a time into the terminal `main`
    ```bash term=redis ready="Ready to accept connections"
                                       the last command keeps running; go on once a line matches
    ```bash term=main status=1         the last command's expected exit status (others: 0)
    ```bash term=worker setup          played only when the lesson is played on its own: it brings up
                                       what the earlier lessons leave running
    ```bash term=main cleanup          played in its place, and run again if the lesson fails before it: it
                                       removes what the lesson installed beyond its terminals' processes
    ```keys term=worker                a key pressed in that terminal: `Ctrl-C`
    ```text term=main                  what `main` printed since its last shown output (or since its
                                       last command block began): compared after normalisation
    ```text term=main excerpt          ... only these lines, in this order, among others
    ```text term=worker unordered      ... only these lines, in any order (concurrent logs)
    ```text term=worker ends           ... and the command running there stops by itself (status 0, or status=N)
    ```mermaid term=main               an output that is a Mermaid diagram (GitHub draws it): compared the same way
    ```bash term=main path=host        only on the no-VM path (path=vm: only inside the VM)
    ```bash play=no why="..."          shown, not played, and says why
    ```python file=server.py           a listing: the file itself (tests/test_lessons.py)

docs/transcripts.md explains the runner.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.S | re.M)
SHELLS = {"bash", "sh", "console"}
OUTPUTS = {"text", "mermaid"}  # what an output block may be written as
KEYS = {"Ctrl-C": "C-c"}  # what a keys block may press, and its tmux key name
PATHS = ("host", "vm")


class LessonTextError(ValueError):
    """A block the runner cannot play: names the lesson file and line."""


@dataclass(frozen=True)
class Block:
    lesson: str  # the lesson folder's name
    line: int  # the line of the opening fence in README.md (1-based)
    lang: str
    attrs: dict[str, str] = field(hash=False)
    body: str

    @property
    def kind(self) -> str:
        if "file" in self.attrs:
            return "file"
        if self.attrs.get("play") == "no":
            return "static"
        if self.lang in SHELLS and "term" in self.attrs:
            return "command"
        if self.lang == "keys":
            return "keys"
        if self.lang in OUTPUTS and "term" in self.attrs:
            return "output"
        return "static"

    @property
    def term(self) -> str:
        return self.attrs.get("term", "")

    @property
    def path(self) -> str | None:
        return self.attrs.get("path")

    @property
    def setup(self) -> bool:
        return "setup" in self.attrs

    @property
    def cleanup(self) -> bool:
        return "cleanup" in self.attrs

    @property
    def where(self) -> str:
        return f"lessons/{self.lesson}/README.md:{self.line}"

    def on(self, path: str) -> bool:
        return self.path in (None, path)

    def commands(self) -> list[list[str]]:
        """The commands of a command block; each is its physical lines (a line ending in \\ continues)."""
        out: list[list[str]] = []
        current: list[str] = []
        for raw in self.body.splitlines():
            if not current and (not raw.strip() or raw.lstrip().startswith("#")):
                continue  # blank lines and whole-line comments are not typed
            current.append(raw)
            if not raw.endswith("\\"):
                out.append(current)
                current = []
        if current:
            raise LessonTextError(f"{self.where}: the last command ends in a backslash")
        return out

    def key(self) -> str:
        name = self.body.strip()
        if name not in KEYS:
            raise LessonTextError(f"{self.where}: a keys block presses one of {', '.join(KEYS)}, not {name!r}")
        return KEYS[name]

    def lines(self) -> list[str]:
        return self.body.splitlines()


def parse_info(info: str, where: str) -> tuple[str, dict[str, str]]:
    try:
        words = shlex.split(info)
    except ValueError as e:
        raise LessonTextError(f"{where}: cannot read the fence's info string {info!r}: {e}") from None
    if not words:
        return "", {}
    attrs = {}
    for word in words[1:]:
        name, _, value = word.partition("=")
        attrs[name] = value
    return words[0], attrs


def blocks(text: str, lesson: str) -> list[Block]:
    out = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        lang, attrs = parse_info(m["info"].strip(), f"lessons/{lesson}/README.md:{line}")
        block = Block(lesson, line, lang, attrs, m["body"])
        validate(block)
        out.append(block)
    return out


def validate(block: Block) -> None:
    where = block.where
    if block.path not in (None, *PATHS):
        raise LessonTextError(f"{where}: path={block.path} (it is host or vm)")
    if block.attrs.get("play") == "no" and not block.attrs.get("why"):
        raise LessonTextError(f"{where}: a block that is not played says why (why=\"...\")")
    if block.kind == "keys":
        if not block.term:
            raise LessonTextError(f"{where}: a keys block names its terminal (term=...)")
        block.key()
    if block.kind == "command":
        block.commands()
        if "ready" in block.attrs:
            re.compile(block.attrs["ready"])
    if block.kind in ("command", "output"):
        if "status" in block.attrs and not block.attrs["status"].isdigit():
            raise LessonTextError(f"{where}: status={block.attrs['status']} is not an exit status")


def read(lesson_dir: Path) -> list[Block]:
    return blocks((lesson_dir / "README.md").read_text(), lesson_dir.name)


def rewrite(text: str, replacements: dict[int, str]) -> str:
    """The README text with the bodies of the blocks opening at the given lines replaced."""
    out = []
    last = 0
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if line in replacements:
            body = replacements[line]
            out.append(text[last:m.start("body")])
            out.append(body if body.endswith("\n") or not body else body + "\n")
            last = m.end("body")
    out.append(text[last:])
    return "".join(out)


def adopt_outputs(text: str, blessed: str, lesson: str, path: str = "vm") -> str:
    """`text` with the bodies of its `path=` output blocks taken from `blessed`, a copy of the same README
    blessed on that path (inside the VM). Blocks shown on both paths keep the host's run, which is
    blessed here. The two must have the same blocks in the same order; prose may differ."""
    mine, theirs = blocks(text, lesson), blocks(blessed, lesson)
    shape = [(b.lang, b.attrs) for b in mine]
    if shape != [(b.lang, b.attrs) for b in theirs]:
        raise LessonTextError(f"lessons/{lesson}/README.md: the blessed copy has other blocks than this one; "
                              "bless again from this version")
    return rewrite(text, {m.line: t.body for m, t in zip(mine, theirs, strict=True)
                          if m.kind == "output" and m.path == path and m.body != t.body})
