"""Lesson 09's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

from conftest import assert_fails_with, assert_passes, run_check, worker
from courselab import lessonapp, paths

# --- task-states (lesson 09) ---------------------------------------------------------------------


def call09(task: str, *args):
    """Call one of lesson 09's tasks as watch.py does, and wait for its end (a failure is returned)."""
    with lessonapp.lesson_app(paths.lesson_dir("09"), "states") as app:
        return app.send_task(f"states.{task}", args).get(timeout=60, propagate=False)


def test_task_states_pass_once_divide_failed_and_flaky_retried(course, services, redis_server):
    worker(services, paths.lesson_dir("09"), "states")
    assert isinstance(call09("divide", 1, 0), ZeroDivisionError)
    assert call09("flaky", 1) == "succeeded after 1 failure(s)"
    for check_id in ("states-tasks-registered", "states-failure-stored", "states-retried"):
        assert_passes(run_check(course, check_id))
    assert "states.divide FAILURE, result ZeroDivisionError('division by zero')" in \
        run_check(course, "states-failure-stored").detail
    assert "states.flaky SUCCESS after 1 retries" in run_check(course, "states-retried").detail


def test_states_checks_fail_when_nothing_failed_or_retried(course, services, redis_server):
    """divide with a divisor that is not 0, flaky told to fail 0 times: both succeed at once."""
    worker(services, paths.lesson_dir("09"), "states")
    assert call09("divide", 4, 2) == 2.0 and call09("flaky", 0) == "succeeded after 0 failure(s)"
    failed = run_check(course, "states-failure-stored")
    assert_fails_with(failed, course, "no-failure-result")
    assert "1 × states.divide SUCCESS" in failed.detail and "python watch.py divide 1 0" in failed.hint
    retried = run_check(course, "states-retried")
    assert_fails_with(retried, course, "no-retry")
    assert "1 × states.flaky SUCCESS" in retried.detail and "python watch.py flaky 2" in retried.hint
