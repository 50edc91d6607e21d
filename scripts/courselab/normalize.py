"""How a terminal's real output is compared with the output a lesson shows.

Two steps, both documented in docs/transcripts.md:

1. display(): what is only this machine's becomes the learner's: the real home folder and the real
   clone are shown as /home/learner and /home/learner/celery-lab, the machine's host name as
   celery-lab. A blessed output is written in this form.
2. mask(): what changes from run to run is masked on both sides before they are compared — task
   ids, times and dates, process ids, memory addresses, long fractions (durations), build ids,
   pool process numbers, the kernel in Celery's banner, the Makefile line in make's errors, pytest's
   duration; runs of spaces and of table rules are collapsed (a table's column widths follow its
   content). A block marked `numbers` masks every number (a benchmark's figures) and the ladder's readings of
   them ("faster in every round", "within the noise": courselab.measure.READINGS).

A block may be an `excerpt` (its lines appear among others, in order) or `unordered` (an excerpt
whose lines may come in any order: the log of a worker whose processes write concurrently).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .measure import READINGS

DISPLAY_HOME = "/home/learner"
DISPLAY_REPO = "/home/learner/celery-lab"
DISPLAY_HOST = "celery-lab"

# pytest's summary line, "3 passed, 2 xfailed in 10.62s": its outcome words and its duration (also read by the stage
# check of lesson 19, checks/testing.py)
PYTEST_OUTCOMES = r"passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?"
PYTEST_DURATION = r" in \d+\.\d+s(?: \(\d+:\d\d:\d\d\))?"

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
    (re.compile(r"\bpid:\d+"), "pid:<pid>"),  # a pool process in a worker's log
    (re.compile(r"\bgen\d+@"), "gen<pid>@"),  # a client's node name in a task's origin header
    (re.compile(r"'worker_pid': \d+"), "'worker_pid': <pid>"),  # `celery inspect active`
    (re.compile(r"^\[([DIWE]) \d{6} \d\d:\d\d:\d\d "), r"[\1 <time> "),  # Flower's log (tornado's format)
    (re.compile(r"^\[<time> ([+-]\d{4})\] \[\d+\]"), r"[<time> \1] [<pid>]"),  # gunicorn's log: [time] [pid]
    (re.compile(r"(Listening at: \S+) \(\d+\)$"), r"\1 (<pid>)"),  # ... and the PID of its master
    (re.compile(r"^(<time> \S+ [\w.@-]+)\[\d+\]:"), r"\1[<pid>]:"),  # the journal's lines: host name[pid]:
    (re.compile(r"\b(process|PID|Main PID:?|pid) \d+"), r"\1 <pid>"),
    (re.compile(r"0x[0-9a-f]{6,}"), "0x<addr>"),
    (re.compile(r"\bbuild=[0-9a-f]+"), "build=<build>"),
    (re.compile(r"\b\d+\.\d{4,}"), "<fraction>"),
    (re.compile(r"ForkPoolWorker-\d+"), "ForkPoolWorker-<n>"),
    (re.compile(r"\bLinux-\S+"), "Linux-<kernel>"),
    (re.compile(r"\[Makefile:\d+: "), "[Makefile:<line>: "),  # make's error names the recipe's line
    (re.compile(r"\bJob: \d+"), "Job: <n>"),  # billiard's number of a pool job (a WorkerLostError)
    (re.compile(r"\(_ssl\.c:\d+\)"), "(_ssl.c:<line>)"),  # where in its C code Python's ssl raised: per build
    (re.compile(r"\b[0-9a-f]{40}\b"), "<run id>"),  # a Redis server's or Sentinel's run id: new at each start
    # pytest's summary line: "3 passed, 2 xfailed in 10.62s" (over a minute: "in 65.20s (0:01:05)")
    (re.compile(rf"\b({PYTEST_OUTCOMES}){PYTEST_DURATION}"), r"\1 in <seconds>"),
    # Redis logs a failed TLS handshake with " (conn: fd=N)" when it failed at once, inside connAccept, and
    # without when it failed a moment later, in clientAcceptHandler (src/networking.c): whichever came first
    (re.compile(r"(Error accepting a client connection: .*) \(conn: [^)]*\)$"), r"\1"),
]
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")  # 1,234.5 is one number: a benchmark's 935 and 1,054 mask alike
# the ladder's readings of its figures (lesson 15), which move with them from run to run
READING = re.compile("|".join(re.escape(x) for x in sorted({x for pair in READINGS.values() for x in pair},
                                                            key=len, reverse=True)))
SPACES = re.compile(r"[ \t]+")
RULES = re.compile(r"([━─═])\1+")


def display(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    """The real output as the lesson shows it: this machine's folders and name replaced by the learner's
    (the longest first: the home folder may hold the clone)."""
    for real, shown in sorted(replacements, key=lambda r: -len(r[0])):
        if real and real != shown:
            text = text.replace(real, shown)
    return text


def mask_line(line: str, numbers: bool = False) -> str:
    for pattern, repl in MASKS:
        line = pattern.sub(repl, line)
    if numbers:
        line = READING.sub("<reading>", NUMBER.sub("<n>", line))
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


@dataclass(frozen=True)
class Rules:
    """How an output block is compared: all of it, or an excerpt (its lines among others, in order or,
    for concurrent logs, in any order); numbers masked or not."""

    excerpt: bool = False
    ordered: bool = True
    numbers: bool = False

    @classmethod
    def of(cls, attrs: dict) -> Rules:
        unordered = "unordered" in attrs
        return cls(excerpt="excerpt" in attrs or unordered, ordered=not unordered, numbers="numbers" in attrs)


def positions(want: Sequence[str], got: Sequence[str], ordered: bool = True) -> list[int] | None:
    """Where each wanted (masked) line is found in `got` — in order, or anywhere once; None if one is missing."""
    found, at, used = [], 0, set()
    for line in want:
        if not line:
            continue
        candidates = range(at, len(got)) if ordered else (i for i in range(len(got)) if i not in used)
        hit = next((i for i in candidates if got[i] == line), None)
        if hit is None:
            return None
        found.append(hit)
        used.add(hit)
        at = hit + 1
    return found


def matches(shown: Sequence[str], actual: Sequence[str], rules: Rules) -> bool:
    want, got = mask(shown, rules.numbers), mask(actual, rules.numbers)
    if not rules.excerpt:
        return want == got
    return positions(want, got, rules.ordered) is not None


def consumed(shown: Sequence[str], actual: Sequence[str], rules: Rules) -> int | None:
    """For a command that keeps running: how many of its next lines the shown ones stand for (None: not yet)."""
    want = mask(shown, rules.numbers)
    got = [mask_line(line, rules.numbers) for line in actual]
    if rules.excerpt:
        found = positions(want, got, rules.ordered)
        return None if found is None else max(found, default=-1) + 1
    start = 0
    while start < len(got) and not got[start]:
        start += 1
    return start + len(want) if got[start:start + len(want)] == want else None


def bless(shown: Sequence[str], actual: Sequence[str], rules: Rules) -> list[str] | None:
    """The block regenerated from a real run. All of it; or, for an excerpt, each shown line replaced by
    the real line it stands for: the next (any, if unordered) real line equal to it once masked, or else
    the most similar one (difflib ratio >= 0.6). None when some shown line has no counterpart. An empty
    excerpt takes every line, to be trimmed by hand."""
    if not rules.excerpt or not "".join(shown).strip():
        return [line.rstrip() for line in actual]
    got = [mask_line(line, rules.numbers) for line in actual]
    out, at, used = [], 0, set()
    for line in shown:
        if not line.strip():
            out.append(line)
            continue
        want = mask_line(line, rules.numbers)
        pool = [i for i in (range(at, len(got)) if rules.ordered else range(len(got))) if i not in used]
        hit = next((i for i in pool if got[i] == want), None)
        if hit is None:
            best = max(((difflib.SequenceMatcher(None, want, got[i]).ratio(), i) for i in pool), default=(0.0, -1))
            if best[0] < 0.6:
                return None
            hit = best[1]
        out.append(actual[hit].rstrip())
        used.add(hit)
        at = hit + 1
    return out


def diff(shown: Sequence[str], actual: Sequence[str], where: str) -> str:
    """A unified diff of the shown output against the real one (both as written, not masked)."""
    lines = difflib.unified_diff([s.rstrip() for s in shown], [a.rstrip() for a in actual],
                                 fromfile=f"{where} (the lesson shows)", tofile="the real run printed",
                                 lineterm="", n=2)
    return "\n".join(lines)
