"""Lesson 08's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

import subprocess
import sys

from conftest import assert_fails_with, assert_passes, run_check, worker
from courselab import lessonapp, paths
from courselab.terminals import poll

# --- inside-redis -------------------------------------------------------------------------------


def test_inside_redis_passes_once_slow_ran(course, services, redis_server):
    worker(services, paths.lesson_dir("08"), "inside")
    sent = subprocess.run([sys.executable, "send.py", "slow", "1"], cwd=paths.lesson_dir("08"), capture_output=True,
                          text=True, timeout=60, env=lessonapp.lesson_env(paths.lesson_dir("08"), "inside"))
    assert sent.returncode == 0, sent.stderr
    assert_passes(run_check(course, "inside-tasks-registered"))
    # the check looks once; the task takes a second
    result = poll(lambda: run_check(course, "inside-slow-result"), 30, done=lambda r: r.ok)
    assert_passes(result)
    assert "inside.slow SUCCESS, result 1" in result.detail


def test_inside_slow_result_fails_when_only_add_ran(course, services, redis_server):
    """The learner skipped section 6: a result of inside.add is there, none of inside.slow."""
    worker(services, paths.lesson_dir("08"), "inside")
    with lessonapp.lesson_app(paths.lesson_dir("08"), "inside") as app:
        assert app.send_task("inside.add", (4, 4)).get(timeout=30) == 8
    result = run_check(course, "inside-slow-result")
    assert_fails_with(result, course, "no-task-result")
    assert "1 × inside.add" in result.detail
    assert "python send.py slow 5" in result.hint
