"""How a terminal's real output is compared with the output a lesson shows.

Two steps, both documented in docs/transcripts.md:

1. display(): what is only this machine's becomes the learner's: the real home folder and the real
   clone are shown as /home/learner and /home/learner/celery-lab, the machine's host name as
   celery-lab. A blessed output is written in this form.
2. mask(): what changes from run to run is masked on both sides before they are compared — task
   ids, times and dates, process ids, memory addresses, long fractions (durations), build ids,
   pool process numbers, the kernel in Celery's banner; runs of spaces and of table rules are
   collapsed (a table's column widths follow its content). A block marked `numbers` masks every
   number (a benchmark's figures).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

DISPLAY_HOME = "/home/learner"
DISPLAY_REPO = "/home/learner/celery-lab"
DISPLAY_HOST = "celery-lab"

MASKS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?"), "<time>"),
    (re.compile(r"\b\d\d? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d(?:\.\d+)?"),
     "<time>"),
    (re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+"), "<time>"),
    (re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d\d? \d\d:\d\d(?::\d\d)?"), "<time>"),
    (re.compile(r"^\^?C?\d+:([CMSX]|signal-handler) "), r"<pid>:\1 "),  # Redis's log: pid:role
    (re.compile(r"\((\d{10})\)"), "(<epoch>)"),
    (re.compile(r"\bpid[= ]\d+"), "pid=<pid>"),
    (re.compile(r"\b(process|PID|Main PID:?|pid) \d+"), r"\1 <pid>"),
    (re.compile(r"0x[0-9a-f]{6,}"), "0x<addr>"),
    (re.compile(r"\bbuild=[0-9a-f]+"), "build=<build>"),
    (re.compile(r"\b\d+\.\d{4,}"), "<fraction>"),
    (re.compile(r"ForkPoolWorker-\d+"), "ForkPoolWorker-<n>"),
    (re.compile(r"\bLinux-\S+"), "Linux-<kernel>"),
]
NUMBER = re.compile(r"\d+(?:\.\d+)?")
SPACES = re.compile(r"[ \t]+")
RULES = re.compile(r"([━─═])\1+")


def display(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    """The real output as the lesson shows it: this machine's folders and name replaced by the learner's."""
    for real, shown in replacements:
        if real and real != shown:
            text = text.replace(real, shown)
    return text


def mask_line(line: str, numbers: bool = False) -> str:
    for pattern, repl in MASKS:
        line = pattern.sub(repl, line)
    if numbers:
        line = NUMBER.sub("<n>", line)
    line = RULES.sub(r"\1", line)
    return SPACES.sub(" ", line).strip()


def mask(lines: Sequence[str], numbers: bool = False) -> list[str]:
    """Masked lines, without leading and trailing blank lines."""
    out = [mask_line(line, numbers) for line in lines]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def matches(shown: Sequence[str], actual: Sequence[str], excerpt: bool, numbers: bool = False) -> bool:
    want, got = mask(shown, numbers), mask(actual, numbers)
    if not excerpt:
        return want == got
    return excerpt_positions(want, got) is not None


def excerpt_positions(want: Sequence[str], got: Sequence[str]) -> list[int] | None:
    """Where each wanted (masked) line is found in `got`, in order; None if one is missing."""
    found, at = [], 0
    for line in want:
        if not line:
            continue
        while at < len(got) and got[at] != line:
            at += 1
        if at == len(got):
            return None
        found.append(at)
        at += 1
    return found


def excerpt_end(shown: Sequence[str], actual: Sequence[str], numbers: bool = False) -> int | None:
    """For a running command's excerpt: how many actual lines reach its last shown line (None: not yet)."""
    found = excerpt_positions(mask(shown, numbers), [mask_line(line, numbers) for line in actual])
    if found is None:
        return None
    return found[-1] + 1 if found else 0


def prefix_length(shown: Sequence[str], actual: Sequence[str], numbers: bool = False) -> int | None:
    """For a command that keeps running: how many actual lines make up the shown ones (None: not yet)."""
    want = mask(shown, numbers)
    got = [mask_line(line, numbers) for line in actual]
    start = 0
    while start < len(got) and not got[start]:
        start += 1
    if got[start:start + len(want)] == want:
        return start + len(want)
    return None


def bless_excerpt(shown: Sequence[str], actual: Sequence[str], numbers: bool = False) -> list[str] | None:
    """An excerpt regenerated from a real run: each shown line replaced by the real line it stands for.

    A shown line stands for the next real line equal to it once masked, or else for the most similar
    one (difflib ratio >= 0.6). None when some shown line has no counterpart."""
    got = [mask_line(line, numbers) for line in actual]
    out, at = [], 0
    for line in shown:
        if not line.strip():
            out.append(line)
            continue
        want = mask_line(line, numbers)
        exact = next((i for i in range(at, len(got)) if got[i] == want), None)
        if exact is None:
            scored = [(difflib.SequenceMatcher(None, want, got[i]).ratio(), i) for i in range(at, len(got))]
            best = max(scored, default=(0.0, -1))
            if best[0] < 0.6:
                return None
            exact = best[1]
        out.append(actual[exact].rstrip())
        at = exact + 1
    return out


def diff(shown: Sequence[str], actual: Sequence[str], where: str) -> str:
    """A unified diff of the shown output against the real one (both as written, not masked)."""
    lines = difflib.unified_diff([s.rstrip() for s in shown], [a.rstrip() for a in actual],
                                 fromfile=f"{where} (the lesson shows)", tofile="the real run printed",
                                 lineterm="", n=2)
    return "\n".join(lines)
