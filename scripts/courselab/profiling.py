"""Where the time goes: a cProfile of a process, summed into a few named shares (lesson 15).

cProfile is deterministic: it times every Python call, and slows each one down, so a profile says which
share of the time goes where, not how long anything takes. The shares are of self time (what a function
spent in itself, not in what it called), by where the function lives, with the waits (for a socket, for a
reply, in a sleep) as shares of their own.
"""

from __future__ import annotations

import pstats
from collections.abc import Callable
from pathlib import Path

# (share, how to recognise a function: a test on (file, function name)), the first that matches wins
SHARES: list[tuple[str, Callable[[str, str], bool]]] = [
    ("waiting for something to read (poll, select)",
     lambda f, n: f == "~" and any(w in n for w in ("'select.", "select.select"))),
    ("waiting on a Redis reply (socket reads)", lambda f, n: f == "~" and "_socket.socket" in n and "recv" in n),
    ("socket writes", lambda f, n: f == "~" and "_socket.socket" in n and "send" in n),
    ("sleeping (time.sleep)", lambda f, n: f == "~" and n == "<built-in method time.sleep>"),
    ("the task's own code", lambda f, n: "/lessons/" in f),
    ("redis-py (commands, replies)", lambda f, n: "/redis/" in f or "hiredis" in n),
    ("JSON", lambda f, n: "/json/" in f or "scanner" in n),
    ("kombu (messages, transport)", lambda f, n: "/kombu/" in f),
    ("celery (worker, tracing, canvas)", lambda f, n: "/celery/" in f or "/billiard/" in f),
]
OTHER = "everything else (Python, the standard library)"


def share_of(file: str, name: str) -> str:
    """The share a function's self time counts in."""
    return next((share for share, test in SHARES if test(file, name)), OTHER)


def shares(stats: dict) -> dict[str, float]:
    """The fraction of the profiled time per share (they add up to 1), from pstats' raw table {(file, line,
    name): (cc, nc, tt, ct, callers)}: every share present (0 when nothing matched), in SHARES' order, then
    OTHER."""
    seconds = {share: 0.0 for share, _ in SHARES} | {OTHER: 0.0}
    for (file, _line, name), (_cc, _nc, tt, _ct, _callers) in stats.items():
        seconds[share_of(file.replace("\\", "/"), name)] += tt
    total = sum(seconds.values())
    return {k: (v / total if total else 0.0) for k, v in seconds.items()}


def calls(stats: dict, file_end: str, name: str) -> int:
    """How many times the function NAME defined in a file whose path ends with FILE_END was called."""
    return sum(nc for (file, _line, fn), (_cc, nc, *_rest) in stats.items()
               if fn == name and file.replace("\\", "/").endswith(file_end))


def load(path: Path) -> dict:
    """The raw table of a profile written by `python -m cProfile -o PATH` or Profile.dump_stats(PATH)."""
    return pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
