"""Lesson 03's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

import pytest
from conftest import assert_fails_with, assert_passes, run_check

# --- redis-running ------------------------------------------------------------------------------


def test_redis_running_checks_pass(course, redis_server):
    for check_id in ("redis-ping", "redis-set-get", "redis-save", "redis-loopback"):
        assert_passes(run_check(course, check_id))
    assert (redis_server.cwd / "dump.rdb").is_file()


@pytest.mark.parametrize("check_id", ["redis-ping", "redis-set-get"])
def test_redis_checks_fail_when_redis_is_down(course, port, check_id):
    result = run_check(course, check_id)
    assert_fails_with(result, course, "redis-down")
    assert f"port {port}" in result.hint and "redis-server redis.conf" in result.hint


def test_redis_save_fails_when_the_dump_cannot_be_written(course, redis_server):
    # something else stands where dump.rdb must go (a folder of that name)
    blocker = redis_server.cwd / "dump.rdb"
    blocker.mkdir()
    result = run_check(course, "redis-save")
    blocker.rmdir()  # so that Redis can save and stop at teardown
    assert_fails_with(result, course, "no-dump")


def test_redis_loopback_fails_with_protected_mode_off(course, redis_server):
    import redis as redis_py

    redis_py.Redis(port=redis_server.port).config_set("protected-mode", "no")
    result = run_check(course, "redis-loopback")
    assert_fails_with(result, course, "exposed")
    assert "protected-mode no" in result.detail
