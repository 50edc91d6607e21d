"""How much a lesson asks its reader to read on the step path: prose words outside code and asides.

A lesson's step path is its prose outside fenced blocks and outside `<details>` asides (which GitHub shows
closed: the "why" a learner may skip on a first pass). Issue 25's targets, measured here: every lesson at most
LESSON_WORDS words of it, every section (`##`) at most SECTION_WORDS, and across the course a median of at
most PER_COMMAND words per command block. The English pages are measured; their Chinese editions keep the
same skeleton (scripts/editions.py), asides included.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .lessontext import FENCE, SHELLS

LESSON_WORDS = 2500
SECTION_WORDS = 600
PER_COMMAND = 50

ASIDE = re.compile(r"^<details>.*?^</details>\s*$", re.S | re.M)
HEADING = re.compile(r"^(##) (.+)$", re.M)
WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")


@dataclass
class Section:
    title: str
    words: int = 0
    commands: int = 0


@dataclass
class Measure:
    name: str
    sections: list[Section] = field(default_factory=list)
    aside_words: int = 0

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sections)

    @property
    def commands(self) -> int:
        return sum(s.commands for s in self.sections)


TAG = re.compile(r"<[^>]+>")


def _words(text: str) -> int:
    return len(WORD.findall(TAG.sub(" ", text)))


def measure(text: str, name: str = "") -> Measure:
    """The step path's prose words, section by section, with each section's command blocks."""
    out = Measure(name)
    commands_at = [m.start() for m in FENCE.finditer(text)
                   if m["info"].split(" ", 1)[0] in SHELLS and "file=" not in m["info"]]
    for aside in ASIDE.finditer(FENCE.sub("", text)):
        out.aside_words += _words(aside.group(0))
    # blank out code first (a fence may hold "## " or "<details>"), keeping positions for the command counts
    plain = FENCE.sub(lambda m: " " * len(m.group(0)), text)
    plain = ASIDE.sub(lambda m: " " * len(m.group(0)), plain)
    starts = [(0, "(before the first section)")] + [(m.start(), m[2].strip()) for m in HEADING.finditer(plain)]
    for i, (start, title) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(plain)
        section = Section(title, _words(plain[start:end]), sum(start <= at < end for at in commands_at))
        out.sections.append(section)
    return out


def over(m: Measure) -> list[str]:
    """Where a lesson misses the targets."""
    problems = []
    if m.words > LESSON_WORDS:
        problems.append(f"{m.name}: {m.words} words of prose on the step path (at most {LESSON_WORDS})")
    for s in m.sections:
        if s.words > SECTION_WORDS:
            problems.append(f"{m.name}, '{s.title}': {s.words} words (at most {SECTION_WORDS})")
    return problems


def per_command(measures: list[Measure]) -> float:
    """The course's median of prose words per command block, lesson by lesson (lessons with commands)."""
    return statistics.median(m.words / m.commands for m in measures if m.commands)


def lessons(root: Path) -> list[Measure]:
    return [measure((d / "README.md").read_text(), d.name) for d in sorted((root / "lessons").iterdir())
            if (d / "README.md").is_file()]
