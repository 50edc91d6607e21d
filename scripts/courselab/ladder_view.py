"""Lesson 15's ladder, shown: the table of every figure with its ratios, the legend, the goals, the I/O-bound
task's pools, where the time goes, and the chart — all read from the figures courselab.ladder measured."""

from __future__ import annotations

from pathlib import Path

from .ladder import POOLS, RAW_ONE, WAIT_MS, Figures, Rung, chunks_rung, top_rung


def short(rung: Rung) -> str:
    return rung.name.lstrip("+ ")


def legend(ladder: list[Rung]) -> list[str]:
    """What each rung changed."""
    return [f"{i} {short(x)}: {x.change}" for i, x in enumerate(ladder)]


def goals(figures: Figures, ladder: list[Rung]) -> list[str]:
    """The lesson's goals, as ratios of this run."""
    default = figures.rates[ladder[0].name]
    top = top_rung(ladder)
    drain_rate = figures.ceilings["drain"]
    lines = [f"one message per task: {short(top)} = {figures.rates[top.name] / default:.1f}× the default (goal ≥ 2.5×)",
             f"the drain ceiling = {drain_rate / default:.1f}× the default: {short(top)} reaches "
             f"{figures.rates[top.name] / drain_rate:.0%} of it"]
    for x in ladder:
        if x.chunk:
            lines.append(f"{short(x)} = {figures.rates[x.name] / default:.1f}× the default, in calls/s (goal ≥ 20×)")
    base = figures.trips_ms[ladder[0].name]["median_ms"]
    lines.append(f"get() p50: {short(top)} = {figures.trips_ms[top.name]['median_ms'] / base:.2f}× the default's "
                 f"(goal ≤ 0.55×); raw Redis's LPUSH → BRPOP: {figures.raw_trip['median_ms'] / base:.2f}×")
    return lines


def table(figures: Figures, ladder: list[Rung]):
    """Every figure with its ratios: to the default rung, to raw Redis (redis-py, one client, one message at a
    time), and the round trip's p50 to the default's."""
    from rich.table import Table

    default = figures.rates[ladder[0].name]
    raw = figures.raw[RAW_ONE]
    base_trip = figures.trips_ms[ladder[0].name]["median_ms"]
    out = Table(title=f"{figures.tasks} tasks per burst, {figures.trips} round trips per rung, {figures.cpus} "
                      f"CPU(s), one run", title_justify="left")
    for col in ("", "per s", "× default", "× raw", "get() p50", "p99", "p50 × default"):
        out.add_column(col, justify="left" if not col else "right")

    def row(name, rate, trip=None, end_section=False):
        out.add_row(name, f"{rate:,.0f}", f"{rate / default:.2f}", f"{rate / raw:.2f}",
                    f"{trip['median_ms']:.2f} ms" if trip else "", f"{trip['p99_ms']:.2f} ms" if trip else "",
                    f"{trip['median_ms'] / base_trip:.2f}" if trip else "", end_section=end_section)

    for i, (name, rate) in enumerate(figures.raw.items()):
        row(f"raw Redis: {name}", rate, figures.raw_trip if name == RAW_ONE else None,
            end_section=i == len(figures.raw) - 1)
    for i, (name, rate) in enumerate(figures.ceilings.items()):
        row(f"ceiling: {name}", rate, end_section=i == len(figures.ceilings) - 1)
    for i, rung in enumerate(ladder):
        row(f"{i} {rung.name}", figures.rates[rung.name], figures.trips_ms.get(rung.name))
    return out


def parsers_line(figures: Figures, ladder: list[Rung]) -> str:
    """Which parser each rung's worker had, as its environment told a process started with it."""
    groups: dict[str, list[str]] = {}
    for i, x in enumerate(ladder):
        groups.setdefault(figures.parsers[x.name], []).append(str(i))
    return "redis-py's parser in the workers: " + "; ".join(f"{p} in rungs {' '.join(ix)}" for p, ix in groups.items())


def io_table(figures: Figures):
    """The I/O-bound task on each pool: tasks/s, as a ratio to prefork's and to what the pool could do if
    the wait were all there is (concurrency ÷ the wait)."""
    from rich.table import Table

    base = figures.io_rates[POOLS[0][0]]
    out = Table(title=f"An I/O-bound task: {figures.io_tasks} × slow.wait({WAIT_MS} ms), results ignored",
                title_justify="left")
    for col in ("pool", "at once", "per s", "× prefork", "of concurrency ÷ wait"):
        out.add_column(col, justify="left" if col == "pool" else "right")
    for name, _options, concurrency in POOLS:
        rate = figures.io_rates[name]
        ideal = concurrency / (WAIT_MS / 1000)
        out.add_row(name, str(concurrency), f"{rate:,.0f}", f"{rate / base:.1f}", f"{rate / ideal:.0%}")
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
    """A horizontal bar per figure (log scale), the rungs in order, raw Redis and the ceilings beside them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [f"raw: {k}" for k in figures.raw] + [f"ceiling: {k}" for k in figures.ceilings] + \
        [f"{i} {x.name}" for i, x in enumerate(ladder)]
    values = [*figures.raw.values(), *figures.ceilings.values(), *(figures.rates[x.name] for x in ladder)]
    colors = ["#9e9e9e"] * len(figures.raw) + ["#f2a541"] * len(figures.ceilings) + \
        ["#3b7dd8" if not x.chunk else "#2e9e5b" for x in ladder]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(names) + 1.2), dpi=100)
    ax.barh(names[::-1], values[::-1], color=colors[::-1])
    ax.set_xscale("log")
    ax.set_xlabel("messages, tasks or items per second (log scale)")
    ax.set_title(f"Celery against raw Redis, one run: {figures.tasks} tasks per burst, {figures.cpus} CPU(s)",
                 fontsize=10)
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.margins(x=0.15)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
