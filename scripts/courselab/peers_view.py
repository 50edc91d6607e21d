"""Lesson 15's peers, shown: each system's burst and round trip, the medians of the rounds, as ratios to Celery's
default taken within each round (median and range), beside raw Redis — read from courselab.peers' figures."""

from __future__ import annotations

from .ladder_view import p50s, ratio
from .measure import per_round, spread
from .peers import CELERY_DEFAULT, CELERY_TOP, PEERS, PeerFigures

AT_ONCE = {CELERY_DEFAULT: "{cpus} (prefork)", CELERY_TOP: "1 (solo)"} | {peer.name: peer.at_once for peer in PEERS}


def table(figures: PeerFigures):
    from rich.table import Table

    base, base_trip = figures.rates[CELERY_DEFAULT], p50s(figures.trips_ms[CELERY_DEFAULT])
    rounds = f"{figures.rounds} rounds" if figures.rounds > 1 else "one round"
    out = Table(title=f"The same tick on each, {rounds}: medians (range); {figures.tasks} tasks per burst, up to "
                      f"{figures.trips} round trips", title_justify="left")
    for col in ("", "at once", "per s", "× Celery default", "round trip p50", "× Celery default"):
        out.add_column(col, justify="left" if col in ("", "at once") else "right")
    for name, rates in figures.rates.items():
        trips = figures.trips_ms.get(name)
        out.add_row(name, AT_ONCE.get(name, "").format(cpus=figures.cpus), f"{spread(rates)[0]:,.0f}",
                    "1.00" if name == CELERY_DEFAULT else ratio(per_round(rates, base)),
                    f"{spread(p50s(trips))[0]:.2f} ms" if trips else "",
                    "" if not trips else "1.00" if name == CELERY_DEFAULT else ratio(per_round(p50s(trips), base_trip)))
    return out


def parsers_line(figures: PeerFigures) -> str:
    """Which parser redis-py picked, as each system's worker environment told a process started with it."""
    groups: dict[str, list[str]] = {}
    for name, found in figures.parsers.items():
        groups.setdefault(found, []).append(name)
    return "redis-py's parser: " + "; ".join(f"{p} in {', '.join(names)}" for p, names in groups.items())


def versions_line(figures: PeerFigures) -> str:
    """Each system's version, grouped by the redis-py its processes import."""
    groups: dict[str, list[str]] = {}
    for name, version in figures.versions.items():
        groups.setdefault(figures.redis_py.get(name, "?"), []).append(f"{name} {version}")
    return "versions: " + "; ".join(f"{', '.join(names)} (redis-py {r})" for r, names in groups.items())


def kills_table(figures: PeerFigures):
    """Each system's kill -9 count: what its default worker, killed with tasks held at the gate, lost."""
    from rich.table import Table

    from .peers import WAITING

    sent = next(iter(figures.kills.values()))["sent"] if figures.kills else 0
    out = Table(title=f"kill -9: {sent} tasks held at the gate, every process of the worker killed, a new one "
                      "started, the gate opened", title_justify="left")
    for col in ("", "running", "completed", "waiting in Redis", "back after", "lost"):
        out.add_column(col, justify="left" if col in ("", "back after") else "right")
    for name, k in figures.kills.items():
        waiting = k["waiting"]
        out.add_row(name, str(k["running"]), str(k["completed"]), str(waiting), WAITING[name][1] if waiting else "",
                    str(k["sent"] - k["completed"] - waiting))
    return out
