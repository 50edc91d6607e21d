"""Stage broker-reliability (lesson 14): its checks pass with lesson 13's safe worker on a broker that keeps its
messages (an append-only file, noeviction) once nothing was lost, and fail with their hints for a broker without
an append-only file or with an evicting policy, and for nothing submitted.
(tests/test_stages.py holds the failing-scenario map of every check.)
"""

from __future__ import annotations

import pytest
from conftest import assert_fails_with, assert_passes, run_check
from courselab import lessonapp, paths
from courselab.services import free_port
from test_13_behaviour import start
from test_13_stages import submit_and_wait
from test_14_broker import LESSON, broker_redis


def broker(services, tmp_path, monkeypatch, *extra: str) -> str:
    """Section 1's second Redis, from broker.conf (with `extra` arguments as sections 2-4 add them), made the
    broker of the lesson's app (and of the checker) by CELERY_BROKER_URL; the results stay where they were."""
    port = free_port()
    broker_redis(services, tmp_path, port, *extra)
    url = f"redis://localhost:{port}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", lessonapp.with_port("redis://localhost:6379/0", paths.redis_port()))
    return url


def test_broker_reliability_passes_with_the_safe_worker_on_a_broker_that_keeps(course, services, redis_server,
                                                                                tmp_path, monkeypatch):
    url = broker(services, tmp_path, monkeypatch, "--appendonly", "yes", "--maxmemory-policy", "noeviction")
    start(services, "safe", lesson=LESSON)
    submit_and_wait(4, broker_url=url)
    for check_id in ("reliable-broker-keeps", "broker-nothing-lost"):
        assert_passes(run_check(course, check_id))
    assert "all 4 submitted tasks completed" in run_check(course, "broker-nothing-lost").detail
    assert url in run_check(course, "reliable-broker-keeps").detail


@pytest.mark.parametrize("extra, says", [
    ((), "has no append-only file (aof_enabled:0)"),
    (("--appendonly", "yes", "--maxmemory-policy", "allkeys-lru"), "evicts keys when full (maxmemory-policy "
                                                                   "allkeys-lru)"),
], ids=["no-aof", "evicting"])
def test_a_broker_that_would_lose_messages_is_named(course, services, redis_server, tmp_path, monkeypatch, extra,
                                                     says):
    broker(services, tmp_path, monkeypatch, *extra)
    result = run_check(course, "reliable-broker-keeps")
    assert_fails_with(result, course, "broker-forgets")
    assert says in result.detail
    assert "redis-server broker.conf --appendonly yes --maxmemory-policy noeviction" in result.hint


def test_nothing_submitted_to_the_broker_is_named_with_this_lessons_hint(course, services, redis_server, tmp_path,
                                                                         monkeypatch):
    broker(services, tmp_path, monkeypatch, "--appendonly", "yes", "--maxmemory-policy", "noeviction")
    result = run_check(course, "broker-nothing-lost")
    assert_fails_with(result, course, "broker-tasks-lost")
    assert "no submitted task ids" in result.detail
    assert "lessons/14-broker-faults" in result.hint and "python submit.py 10" in result.hint
