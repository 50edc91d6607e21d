"""Stage reliability (lesson 13): its checks pass with the lesson's safe worker once nothing was lost, and fail
with their hints for a worker on Celery's defaults, for a task lost to a killed pool process, for nothing
submitted and for tasks held at the shut gate. (tests/test_stages.py holds the failing-scenario map of every
check; lesson 14's broker checks are in tests/test_14_stages.py.)
"""

from __future__ import annotations

import redis
from conftest import assert_fails_with, assert_passes, run_check
from courselab import paths
from test_13_behaviour import kill_pool_process, open_gate, settled, start, submit


def ledger():
    return redis.Redis(port=paths.redis_port(), decode_responses=True)  # beside the results (reliable.py)


def submit_and_wait(n: int, kill_one: bool = False, broker_url: str | None = None) -> None:
    """submit.py (its broker named by CELERY_BROKER_URL, if set), optionally a pool process killed as section 3
    does, then the gate opened and the rest waited for."""
    r = ledger()
    ids = submit(r, n)
    if kill_one:
        kill_pool_process(r)
    open_gate(r)
    settled(r, ids, lost_at_most=int(kill_one), broker=redis.Redis.from_url(broker_url) if broker_url else None)


def test_reliability_passes_with_the_safe_worker(course, services, redis_server):
    start(services, "safe")
    submit_and_wait(4)
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
    submit_and_wait(10, kill_one=True)
    result = run_check(course, "reliable-nothing-lost")
    assert_fails_with(result, course, "tasks-lost")
    assert "1 of 10 submitted tasks never completed" in result.detail


def test_nothing_submitted_is_named(course, services, redis_server):
    result = run_check(course, "reliable-nothing-lost")
    assert_fails_with(result, course, "tasks-lost")
    assert "no submitted task ids" in result.detail and "python submit.py" in result.hint


def test_tasks_held_at_the_shut_gate_are_named(course, services, redis_server):
    start(services, "safe")
    r = ledger()
    submit(r, 4)  # and the gate left shut
    result = run_check(course, "reliable-nothing-lost")
    assert_fails_with(result, course, "gate-shut")
    assert "4 of 4 submitted tasks have not completed, and the gate they wait at is shut" in result.detail
    assert "redis-cli set gate open" in result.hint
    open_gate(r)
    settled(r, list(r.smembers("submitted")), lost_at_most=0)
    assert_passes(run_check(course, "reliable-nothing-lost"))
