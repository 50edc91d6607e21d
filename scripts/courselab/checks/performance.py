"""The checks of lesson 15: the performance ladder has been measured (`make bench`), every rung of it, in rounds
enough to show a spread, and so have the peers (`make bench-peers`) — and what the learner's own figures say."""

from __future__ import annotations

import json

from .. import ladder, ladder_view, peers
from ..measure import direction
from .base import Failed, Stage, check


@check
def ladder_measured(stage: Stage) -> str:
    """make bench's figures (.run/bench/ladder.json) hold every rung of the ladder and the I/O-bound task on
    every pool, each measured in every round (two rounds at least: a spread), and its chart was drawn. The detail
    reads the learner's own figures: which steps stood clear of the noise in this run, and which did not."""
    where = ladder.FIGURES
    if not where.exists():
        raise Failed("no-ladder", f"no figures in {where}: the ladder has not been measured")
    def measured(figure) -> bool:  # one rate per round, every one of them a rate
        return isinstance(figure, list) and len(figure) == figures.rounds and \
            all(isinstance(x, float) and x > 0 for x in figure)

    try:
        figures = ladder.Figures(**json.loads(where.read_text()))
        rungs = ladder.rungs(figures.chunk)
        missing = [x.name for x in rungs if not measured(figures.rates.get(x.name))] + \
            [f"the I/O-bound task on {name}" for name, _, _ in ladder.POOLS
             if not measured(figures.io_rates.get(name))]
    except (ValueError, TypeError, AttributeError) as e:
        raise Failed("no-ladder", f"{where} is not the ladder's figures ({e!r})") from None
    if missing:
        raise Failed("no-ladder", f"{where} has no figure in every round for {', '.join(missing)}: measured by "
                     "another version of the ladder")
    if figures.rounds < 2:
        raise Failed("no-ladder", f"{where} holds one round: no spread to tell a rung's effect from the noise "
                     "(make bench measures five rounds unless told fewer)")
    if not ladder.CHART.exists():
        raise Failed("no-ladder", f"no chart at {ladder.CHART}: the run did not finish")
    clear = sum(1 for i in range(1, len(rungs)) if direction(ladder_view.step_ratios(figures, rungs, i)) != "noise")
    return (f"{len(rungs)} rungs in {figures.rounds} rounds ({figures.tasks} tasks per burst): {clear} of "
            f"{len(rungs) - 1} steps moved the rate the same way in every round, {len(rungs) - 1 - clear} stayed "
            "within the noise")


@check
def peers_measured(stage: Stage) -> str:
    """make bench-peers' figures (.run/bench/peers.json) hold Celery's two workers, raw Redis and every peer in every
    round, and a kill -9 count for Celery and every peer. The detail reads the learner's own counts."""
    where = peers.FIGURES
    if not where.exists():
        raise Failed("no-peers", f"no figures in {where}: the peers have not been measured")
    try:
        figures = peers.PeerFigures(**json.loads(where.read_text()))
        missing = [name for name in [peers.CELERY_DEFAULT, peers.CELERY_TOP, *(p.name for p in peers.PEERS)]
                   if len(figures.rates.get(name) or []) != figures.rounds]
        missing += [f"the kill -9 count of {name}" for name in ["Celery", *(p.name for p in peers.PEERS)]
                    if not {"sent", "completed", "waiting"} <= set(figures.kills.get(name) or {})]
    except (ValueError, TypeError, AttributeError) as e:
        raise Failed("no-peers", f"{where} is not the peers' figures ({e!r})") from None
    if missing:
        raise Failed("no-peers", f"{where} has no figure in every round for {', '.join(missing)}: measured by "
                     "another version of make bench-peers, or stopped before its end")
    lost = ", ".join(f"{name} {k['sent'] - k['completed'] - k['waiting']}" for name, k in figures.kills.items())
    return f"{len(peers.PEERS)} peers beside Celery in {figures.rounds} rounds; lost to kill -9: {lost}"
