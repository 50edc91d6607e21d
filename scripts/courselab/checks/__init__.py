"""The stage checks. stages.toml names them (`fn`) and gives their parameters.

A check returns a short description of what it saw, or raises Failed naming a cause from
stages.toml. Any other exception is matched against the causes' patterns, so a refused
connection reads as 'Redis is not running' wherever it happens.

Split by topic: machine.py (VM, Redis build and server), python.py (packages), workers.py
(remote control, lesson scripts), backend.py (the result backend), monitor.py (Flower), reliability.py
(lessons 13 and 14's counts), performance.py (lesson 15's ladder), hosts.py (lesson 16's hosts, TLS and users),
testing.py (lesson 19's own test suite), web.py (lesson 20's page), services.py (lesson 21's systemd units);
base.py holds the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import paths
from ..stages import Cause, Check, Course, Stage
from . import backend, hosts, machine, monitor, performance, python, reliability, services, testing, web, workers  # noqa: F401  (each registers its checks)
from .base import CHECKS, Failed, ScriptError
from .machine import exposure

__all__ = ["CHECKS", "SKIPPED", "Failed", "Result", "ScriptError", "applies", "exposure", "run_all", "run_check",
           "run_stage"]


@dataclass
class Result:
    check: Check
    ok: bool
    detail: str
    cause: Cause | None = None
    hint: str = ""
    where: str = ""


# --- running checks ---------------------------------------------------------------------------


def run_check(course: Course, stage: Stage, check_: Check) -> Result:
    fn = CHECKS[check_.fn]
    try:
        return Result(check_, True, fn(stage, **check_.params))
    except Failed as failure:
        cause = course.causes[failure.cause]
        detail = failure.detail
    except Exception as error:  # recognise the cause from the error text
        text = f"{type(error).__name__}: {error}\n{getattr(error, 'stderr', '')}"
        cause = course.match_cause(text)
        detail = str(error) or type(error).__name__
        if cause is None:
            return Result(check_, False, f"{type(error).__name__}: {detail}")
    hint = cause.hint_for(stage.lesson, check_.params.get("app", "server"))
    return Result(check_, False, detail, cause, hint, cause.where(stage.lesson))


def run_stage(course: Course, stage: Stage) -> list[Result]:
    """Run a stage's checks in order; stop at the first failure (later checks build on it)."""
    results = []
    for check_ in stage.checks:
        results.append(run_check(course, stage, check_))
        if not results[-1].ok:
            break
    return results


SKIPPED = "skipped"  # a stage that does not apply here (the VM stage outside the VM, lesson 16's inside it)


def applies(stage: Stage) -> bool:
    """only = "vm": the stage applies inside the course's VM; "host": outside it; no `only`: everywhere."""
    return stage.only is None or (stage.only == "vm") == paths.system_redis()


def run_all(course: Course) -> dict[str, list[Result] | None | str]:
    """Every stage in order; after the first stage that fails, the rest are not reached (None)."""
    outcome: dict[str, list[Result] | None | str] = {}
    blocked = False
    for stage in course.stages:
        if not applies(stage):
            outcome[stage.id] = SKIPPED
            continue
        if blocked:
            outcome[stage.id] = None
            continue
        outcome[stage.id] = run_stage(course, stage)
        blocked = not all(r.ok for r in outcome[stage.id])
    return outcome
