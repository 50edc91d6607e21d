"""Terminal output of the course's tools, through rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .checks import SKIPPED, Result
from .i18n import say
from .stages import Course, Stage

console = Console(highlight=False)


def stage_status(results: list[Result] | None | str, stage: Stage) -> str:
    if results == SKIPPED:
        return f"[dim]{say('no VM')}[/]" if stage.only == "vm" else f"[dim]{say('host only')}[/]"
    if results is None:
        return f"[dim]{say('not reached')}[/]"
    return "[green]✓[/]" if all(r.ok for r in results) else "[red]✗[/]"


def stage_table(course: Course, outcome: dict[str, list[Result] | None | str]) -> Table:
    ran = {k: r for k, r in outcome.items() if r != SKIPPED}
    done = sum(1 for r in ran.values() if r is not None and all(x.ok for x in r))
    table = Table(title=say("stages", done=done, total=len(ran)), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column(say("stage"))
    table.add_column(say("lesson"))
    table.add_column("", justify="center")
    table.add_column(say("seen"), overflow="fold")
    for n, stage in enumerate(course.stages, 1):
        results = outcome.get(stage.id)
        # what checks report is text, not markup: a task id in brackets, `name [rate_limit=10/m]`, a list
        seen = escape(results[-1].detail) if isinstance(results, list) and results else ""
        if results == SKIPPED:
            seen = say("vm only") if stage.only == "vm" else say("host path only")
        title = f"{stage.title_in()} [dim]({stage.id})[/]"
        table.add_row(str(n), title, stage.lesson, stage_status(results, stage), seen)
    return table


def failure_panel(stage: Stage, result: Result) -> Panel:
    body = f"[bold]{result.check.id}[/]: {escape(result.detail)}"
    if result.hint:
        body += f"\n\n[yellow]{say('hint')}[/]{escape(result.hint)}\n[yellow]{say('see')}[/]{escape(result.where)}"
    return Panel(body, title=f"{say('next')}{stage.title_in()} ({stage.id})", border_style="red", expand=False)


def stage_details(stage: Stage, results: list[Result]) -> Table:
    table = Table(title=f"{stage.title_in()} ({stage.id}) — lessons/{stage.lesson}", title_justify="left")
    table.add_column(say("check"))
    table.add_column("", justify="center")
    table.add_column(say("detail"), overflow="fold")
    for check in stage.checks:
        result = next((r for r in results if r.check is check), None)
        if result is None:
            table.add_row(check.id, "[dim]–[/]", f"[dim]{say('not run')}[/]")
        else:
            table.add_row(check.id, "[green]✓[/]" if result.ok else "[red]✗[/]", escape(result.detail))
    return table


def show_outcome(course: Course, outcome: dict[str, list[Result] | None | str]) -> bool:
    """Print the stage table and what to do next; True when every stage that applies is reached."""
    console.print(stage_table(course, outcome))
    for stage in course.stages:
        results = outcome.get(stage.id)
        failed = [r for r in results if not r.ok] if isinstance(results, list) else []
        if failed:
            console.print(failure_panel(stage, failed[0]))
            return False
    console.print(f"[green]{say('all reached')}[/]")
    return True


def echo(kind: str, text: str) -> None:
    """What a play shows as it goes: the commands typed, the keys pressed, what the terminals printed."""
    if kind == "command":
        console.print(text, style="cyan", markup=False, highlight=False)
    elif kind == "keys":
        console.print(text, style="magenta", markup=False)
    elif text.strip():
        console.print(text, markup=False, style="dim", soft_wrap=True)
