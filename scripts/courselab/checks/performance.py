"""The check of lesson 15: the performance ladder has been measured (`make bench`), every rung of it."""

from __future__ import annotations

import json

from .. import ladder
from .base import Failed, Stage, check


@check
def ladder_measured(stage: Stage) -> str:
    """make bench's figures (.run/bench/ladder.json) hold every rung of the ladder and the I/O-bound task on
    every pool, each with a rate, and its chart was drawn."""
    where = ladder.FIGURES
    if not where.exists():
        raise Failed("no-ladder", f"no figures in {where}: the ladder has not been measured")
    try:
        figures = json.loads(where.read_text())
        rates, chunk = figures["rates"], figures["chunk"]
    except (ValueError, KeyError, TypeError) as e:
        raise Failed("no-ladder", f"{where} is not the ladder's figures ({e!r})") from None
    rungs = ladder.rungs(chunk)
    io_rates = figures.get("io_rates") or {}

    def measured(figure) -> bool:
        return isinstance(figure, float) and figure > 0

    missing = [x.name for x in rungs if not measured(rates.get(x.name))] + \
        [f"the I/O-bound task on {name}" for name, _, _ in ladder.POOLS if not measured(io_rates.get(name))]
    if missing:
        raise Failed("no-ladder", f"{where} has no figure for {', '.join(missing)}: measured by another version of "
                     "the ladder")
    if not ladder.CHART.exists():
        raise Failed("no-ladder", f"no chart at {ladder.CHART}: the run did not finish")
    default, top = rates[rungs[0].name], max(rates.values())
    return (f"{len(rates)} rungs measured ({figures['tasks']} tasks per burst): the top one {top / default:.1f}× "
            "the default")
