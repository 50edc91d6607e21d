"""Lesson 19's stage: the learner's own tests of the article's app pass, run as the learner runs them
(`pytest` in the lesson folder), and the app's settings do not make delay() run tasks in the caller."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from .. import lessonapp, paths, stages
from ..normalize import PYTEST_DURATION, PYTEST_OUTCOMES
from .base import Failed, check

SUMMARY = re.compile(rf"^\d+ (?:{PYTEST_OUTCOMES})\b.*")
FAILING = re.compile(r"^(?:FAILED|ERROR) [\w./-]+\.py(?:::\S+)?")  # not a captured log's "ERROR    celery..."
DURATION = re.compile(rf"{PYTEST_DURATION}$")


def summary(output: str) -> str:
    """pytest's last line (-q: "7 passed, 2 xfailed in 25.10s") without its duration."""
    lines = [line.strip("= ") for line in output.splitlines() if SUMMARY.match(line.strip("= "))]
    return DURATION.sub("", lines[-1]) if lines else "no summary line"


@check
def lesson_tests(stage: stages.Stage, causes: list[str], timeout: float = 180) -> str:
    """`pytest` in the lesson folder, in a process group of its own (stopped by its PID when it outlasts
    `timeout`). A failure names the first of `causes` whose patterns match pytest's output, else tests-fail."""
    folder = paths.lesson_dir(stage.lesson)
    argv, env = [sys.executable, "-m", "pytest"], dict(os.environ)
    if paths.redis_port() != paths.DEFAULT_PORT:  # the course's own tests: the lesson's app on their Redis
        argv += ["-p", "courselab.lesson_port"]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.REPO / "scripts"), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(argv, cwd=folder, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own group: pytest and whatever it started
        proc.communicate()
        raise Failed("tests-hang", f"pytest in {paths.show(folder)} did not end within {timeout:.0f} s") from None
    if proc.returncode == 0:
        return f"pytest in {paths.show(folder)}: {summary(output)}"
    failing = [m[0] for m in map(FAILING.match, output.splitlines()) if m]  # the short summary's lines
    detail = f"pytest in {paths.show(folder)}: {summary(output)}" + (f"; first: {failing[0]}" if failing else "")
    known = stages.load().causes
    for cause in causes:
        if any(re.search(p, output) for p in known[cause].patterns):
            raise Failed(cause, detail)
    raise Failed("tests-fail", detail)


@check
def not_always_eager(stage: stages.Stage, module: str) -> str:
    """The app's settings leave task_always_eager off: delay() sends to Redis, as in production."""
    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), module) as app:
        if app.conf.task_always_eager:
            raise Failed("always-eager", f"{module}.py's settings set task_always_eager = True")
    return f"{module}.py's settings leave task_always_eager off: delay() sends to Redis"
