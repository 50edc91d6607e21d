"""Stage reliability (lesson 13): its checks pass with the lesson's safe worker once nothing was lost, and
fail with their hints for a worker on Celery's defaults and for a task lost to a killed pool process.
(tests/test_stages.py holds the failing-scenario map of every check.)
"""

from __future__ import annotations

import os
import signal

from conftest import run_check
from courselab import lessonapp, paths
from courselab.services import Worker
from courselab.terminals import poll
from test_stages import assert_fails_with, assert_passes

LESSON = paths.lesson_dir("13")


def start(services, module: str) -> Worker:
    return services.add(Worker(LESSON, module, extra=("-c", "2", "--without-mingle", "--without-gossip")))


def submit_and_wait(n: int, seconds: float, kill_one: bool = False) -> None:
    """submit.py's steps, optionally a pool process killed as section 3 does, then wait for the rest."""
    with lessonapp.lesson_app(LESSON, "reliable") as app:
        with app.connection() as connection:
            r = connection.default_channel.client
            r.delete("submitted", "started", "completed")
            for _ in range(n):
                r.sadd("submitted", app.tasks["reliable.work"].delay(seconds).id)
            assert poll(lambda: r.hlen("started") >= 2, 30)
            if kill_one:
                os.kill(int(r.get("pid:pool-process")), signal.SIGKILL)
            assert poll(lambda: r.hlen("completed") >= n - kill_one and not r.llen("celery")
                        and not r.hlen("unacked"), 60)


def test_reliability_passes_with_the_safe_worker_once_nothing_was_lost(course, services, redis_server):
    start(services, "safe")
    submit_and_wait(4, 0.2)
    for check_id in ("reliable-tasks-registered", "reliable-acks-late", "reliable-nothing-lost"):
        assert_passes(run_check(course, check_id))
    assert "all 4 submitted tasks completed" in run_check(course, "reliable-nothing-lost").detail


def test_a_worker_on_celerys_defaults_is_named(course, services, redis_server):
    start(services, "reliable")
    result = run_check(course, "reliable-acks-late")
    assert_fails_with(result, course, "early-acks")
    assert "celery -A safe worker" in result.hint


def test_a_task_lost_to_a_killed_pool_process_is_counted(course, services, redis_server):
    start(services, "reliable")
    submit_and_wait(10, 0.3, kill_one=True)
    result = run_check(course, "reliable-nothing-lost")
    assert_fails_with(result, course, "tasks-lost")
    assert "1 of 10 submitted tasks never completed" in result.detail


def test_nothing_submitted_is_named(course, services, redis_server):
    result = run_check(course, "reliable-nothing-lost")
    assert_fails_with(result, course, "tasks-lost")
    assert "no submitted task ids" in result.detail and "python submit.py" in result.hint
