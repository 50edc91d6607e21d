"""Lesson 15's ladder, shown: the table of every figure with its ratios and their spread, what each step can
tell from the noise, the legend, the goals, the I/O-bound task's pools, where the time goes, and the chart — all
read from the figures courselab.ladder measured, round by round.

A figure is the median of its rounds; a ratio is taken within each round (two figures measured minutes apart
are never divided), and shown as the median of the rounds' ratios with their range."""

from __future__ import annotations

from pathlib import Path

from .ladder import POOLS, RAW_ONE, WAIT_MS, Figures, Rung, chunks_rung, top_rung
from .measure import READINGS, direction, per_round, spread


def short(rung: Rung) -> str:
    return rung.name.lstrip("+ ")


def legend(ladder: list[Rung]) -> list[str]:
    """What each rung changed."""
    return [f"{i} {short(x)}: {x.change}" for i, x in enumerate(ladder)]


def median(values: list[float]) -> float:
    return spread(values)[0]


def p50s(trips: list[dict]) -> list[float]:
    """Each round's p50 round trip, in ms."""
    return [x["median_ms"] for x in trips]


def ratio(values: list[float], digits: int | None = None) -> str:
    """Ratios measured round by round: their median, and their range in brackets when there are several; with
    three significant figures or so unless told (377 (334–401), 26.8 (25.5–31.9), 1.54 (1.16–1.69)), so that a
    table keeps its width whatever the run."""
    mid, low, high = spread(values)
    if digits is None:
        digits = 0 if mid >= 100 else 1 if mid >= 10 else 2
    return f"{mid:.{digits}f}" if len(values) < 2 else f"{mid:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


def reached(values: list[float], goal: float, above: bool = True) -> str:
    """In how many rounds a ratio reached its goal."""
    hits = sum(1 for v in values if (v >= goal if above else v <= goal))
    return f"{hits} of {len(values)} round{'s' if len(values) > 1 else ''}"


def base_of(ladder: list[Rung], i: int) -> int:
    """The rung rung i builds on: the nearest step up before it (a side rung is an alternative, not a step)."""
    return next(j for j in range(i - 1, -1, -1) if not ladder[j].side)


def step_ratios(figures: Figures, ladder: list[Rung], i: int) -> list[float]:
    """Rung i's rate ÷ the rate of the rung it builds on, round by round."""
    return per_round(figures.rates[ladder[i].name], figures.rates[ladder[base_of(ladder, i)].name])


def steps(figures: Figures, ladder: list[Rung]):
    """Each rung against the rung it builds on, round by round: the median ratio, its range, and whether every
    round agrees (courselab.measure.direction) — a difference the rounds disagree on is not read as one."""
    from rich.table import Table

    out = Table(title="Each step against the rung it builds on, round by round: the median ratio (range)",
                title_justify="left")
    for col in ("step", "on", "rate ×", "", "get() p50 ×", ""):
        out.add_column(col, justify="right" if col in ("on", "rate ×", "get() p50 ×") else "left")
    for i, x in enumerate(ladder[1:], 1):
        j = base_of(ladder, i)
        rates = step_ratios(figures, ladder, i)
        trip = ["", ""]
        if x.name in figures.trips_ms:
            trips = per_round(p50s(figures.trips_ms[x.name]), p50s(figures.trips_ms[ladder[j].name]))
            trip = [ratio(trips), READINGS[direction(trips)][1]]
        out.add_row(f"{i} {short(x)}", str(j), ratio(rates), READINGS[direction(rates)][0], *trip)
    return out


def goals(figures: Figures, ladder: list[Rung]):
    """The lesson's goals, as ratios of this run: the median and range of the rounds, in how many rounds reached."""
    from rich.table import Table

    default = figures.rates[ladder[0].name]
    top, chunks = top_rung(ladder), chunks_rung(ladder)
    out = Table(title="The goals, in this run", title_justify="left")
    for col in ("goal", "measured", "reached in"):
        out.add_column(col, justify="left" if col == "goal" else "right")
    tops = per_round(figures.rates[top.name], default)
    out.add_row("one message per task: ≥ 2.5× the default", f"{short(top)}: {ratio(tops, 1)}×", reached(tops, 2.5))
    calls = per_round(figures.rates[chunks.name], default)
    out.add_row("with chunks: ≥ 20× the default in calls/s", f"{short(chunks)}: {ratio(calls, 1)}×",
                reached(calls, 20))
    trips = per_round(p50s(figures.trips_ms[top.name]), p50s(figures.trips_ms[ladder[0].name]))
    out.add_row("the get() round trip: p50 ≤ 0.55× the default's", f"{short(top)}: {ratio(trips)}×",
                reached(trips, 0.55, above=False))
    return out


def limits(figures: Figures, ladder: list[Rung]) -> list[str]:
    """What bounds each goal, measured in the same rounds: the drain ceiling, raw redis-py's INCR (the chunks'
    own command), raw Redis's round trip."""
    default = figures.rates[ladder[0].name]
    top, chunks = top_rung(ladder), chunks_rung(ladder)
    drains = per_round(figures.ceilings["drain"], default)
    incr = per_round(figures.rates[chunks.name], figures.raw["redis-py INCR"])
    echo = per_round(p50s(figures.raw_trip), p50s(figures.trips_ms[ladder[0].name]))
    return [f"the drain ceiling = {ratio(drains, 1)}× the default: {short(top)} reaches "
            f"{median(per_round(figures.rates[top.name], figures.ceilings['drain'])):.0%} of it",
            f"{short(chunks)} = {median(incr):.0%} ({min(incr):.0%}–{max(incr):.0%}) of raw redis-py's INCR one at a "
            "time: the task's own command",
            f"raw Redis's LPUSH → BRPOP round trip = {ratio(echo)}× the default's get() p50"]


def table(figures: Figures, ladder: list[Rung]):
    """Every figure, the median of its rounds, with its ratios: to the default rung (median and range of the
    rounds' ratios), to raw Redis (redis-py, one client, one message at a time), and the round trip: the median of
    the rounds' p50s, the p99 of every round's trips together, and the p50's ratio to the default's."""
    from rich.table import Table

    default = figures.rates[ladder[0].name]
    raw = figures.raw[RAW_ONE]
    base_trip = p50s(figures.trips_ms[ladder[0].name])
    rounds = f"{figures.rounds} rounds" if figures.rounds > 1 else "one round"
    out = Table(title=f"{figures.tasks} tasks per burst, {figures.trips} round trips per rung, {rounds}, "
                      f"{figures.cpus} CPU(s): medians of the rounds (range)", title_justify="left")
    for col in ("", "per s", "× default", "× raw", "get() p50", "p99", "p50 × default"):
        out.add_column(col, justify="left" if not col else "right")

    def row(name, rates, trips=None, p99=None, end_section=False):
        out.add_row(name, f"{median(rates):,.0f}", ratio(per_round(rates, default)) if rates is not default else "1.00",
                    f"{median(per_round(rates, raw)):.2f}",
                    f"{median(p50s(trips)):.2f} ms" if trips else "",
                    f"{p99:.2f} ms" if trips else "",
                    "" if not trips else "1.00" if trips is figures.trips_ms[ladder[0].name]
                    else ratio(per_round(p50s(trips), base_trip)), end_section=end_section)

    for i, (name, rates) in enumerate(figures.raw.items()):
        row(f"raw: {name}", rates, *((figures.raw_trip, figures.p99_ms[name]) if name == RAW_ONE else ()),
            end_section=i == len(figures.raw) - 1)
    for i, (name, rates) in enumerate(figures.ceilings.items()):
        row(f"ceiling: {name}", rates, end_section=i == len(figures.ceilings) - 1)
    for i, rung in enumerate(ladder):
        name = rung.name
        row(f"{i} {name}", figures.rates[name], figures.trips_ms.get(name), figures.p99_ms.get(name))
    return out


def parsers_line(figures: Figures, ladder: list[Rung]) -> str:
    """Which parser each rung's worker had, as its environment told a process started with it."""
    groups: dict[str, list[str]] = {}
    for i, x in enumerate(ladder):
        groups.setdefault(figures.parsers[x.name], []).append(str(i))
    return "redis-py's parser in the workers: " + "; ".join(f"{p} in rungs {' '.join(ix)}" for p, ix in groups.items())


def io_table(figures: Figures):
    """The I/O-bound task on each pool: tasks/s (the median of the rounds), as a ratio to prefork's (median and
    range) and to what the pool could do if the wait were all there is (concurrency ÷ the wait)."""
    from rich.table import Table

    base = figures.io_rates[POOLS[0][0]]
    out = Table(title=f"An I/O-bound task: {figures.io_tasks} × slow.wait({WAIT_MS} ms), results ignored",
                title_justify="left")
    for col in ("pool", "at once", "per s", "× prefork", "of concurrency ÷ wait"):
        out.add_column(col, justify="left" if col == "pool" else "right")
    for name, _options, concurrency in POOLS:
        rates = figures.io_rates[name]
        ideal = concurrency / (WAIT_MS / 1000)
        out.add_row(name, str(concurrency), f"{median(rates):,.0f}",
                    ratio(per_round(rates, base), 1) if rates is not base else "1.0",
                    f"{median(rates) / ideal:.0%}")
    return out


def profile_table(figures: Figures, ladder: list[Rung]):
    """The profiled shares: the chunks rung's worker, the client's get() round trips."""
    from rich.table import Table

    chunks, top = chunks_rung(ladder), top_rung(ladder)
    out = Table(title="Where the time goes (cProfile: shares of the profiled time)", title_justify="left")
    out.add_column("")
    out.add_column(f"worker, {short(chunks)}", justify="right")
    out.add_column(f"client, get() on {short(top)}", justify="right")
    for share in figures.worker_shares:
        out.add_row(share, f"{figures.worker_shares[share]:.0%}", f"{figures.client_shares.get(share, 0):.0%}")
    return out


def per_message_line(figures: Figures) -> str:
    m = figures.per_message
    return (f"the profiled chunks, per message: {m['calls of tick']:.0f} calls of tick, "
            f"{m['Redis commands']:.0f} commands sent to Redis by the worker")


def chart(figures: Figures, ladder: list[Rung], path: Path) -> Path:
    """A horizontal bar per figure (log scale) at the median of its rounds, a line across its range; the rungs
    in order, raw Redis and the ceilings beside them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [f"raw: {k}" for k in figures.raw] + [f"ceiling: {k}" for k in figures.ceilings] + \
        [f"{i} {x.name}" for i, x in enumerate(ladder)]
    rounds = [*figures.raw.values(), *figures.ceilings.values(), *(figures.rates[x.name] for x in ladder)]
    spreads = [spread(x) for x in rounds][::-1]
    mids = [m for m, _, _ in spreads]
    errors = [[m - low for m, low, _ in spreads], [high - m for m, _, high in spreads]]
    colors = ["#9e9e9e"] * len(figures.raw) + ["#f2a541"] * len(figures.ceilings) + \
        ["#3b7dd8" if not x.chunk else "#2e9e5b" for x in ladder]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(names) + 1.2), dpi=100)
    ax.barh(names[::-1], mids, color=colors[::-1], xerr=errors, error_kw={"ecolor": "#333333", "capsize": 3})
    ax.set_xscale("log")
    ax.set_xlabel("messages, tasks or items per second (log scale): the median of the rounds, their range")
    ax.set_title(f"Celery against raw Redis, one run: {figures.tasks} tasks per burst, {figures.rounds} round(s), "
                 f"{figures.cpus} CPU(s)", fontsize=10)
    for y, (mid, _low, high) in enumerate(spreads):
        ax.text(high, y, f" {mid:,.0f}", va="center", fontsize=8)
    ax.margins(x=0.15)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
