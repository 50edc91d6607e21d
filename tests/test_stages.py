"""Every check of stages.toml: it passes when its stage is reached, and fails with its hint when not.

The failing scenarios are the learner's real mistakes, made for real: no Redis, no worker, a
worker started from old code, a client with the article's bug, a config with mixed names.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, assert_fails_with, run_check, worker
from courselab import checks, paths

# check id -> the cause its failing scenario below must report
FAILING = {
    "vm-os": "not-in-vm",
    "vm-redis-service": "service-down",
    "vm-redis-binary": "service-down",
    "vm-redis-config": "vm-config",
    "redis-binaries": "not-built",
    "redis-version": "wrong-version",
    "redis-not-packaged": "packaged",
    "redis-with-tls": "no-tls",
    "redis-ping": "redis-down",
    "redis-set-get": "redis-down",
    "redis-save": "no-dump",
    "redis-loopback": "exposed",
    "packages": "deps-version",
    "redis-py-rule": "deps-version",
    "worker-ping": "worker-down",
    "tasks-registered": "unregistered",
    "client-output": "no-result",
    "settings-names": "old-names",
    "split-worker-ping": "worker-down",
    "split-config-loaded": "config-not-loaded",
    "split-tasks-registered": "unregistered",
    "split-client-output": "no-result",
    "inside-tasks-registered": "unregistered",
    "inside-slow-result": "no-task-result",
    "states-tasks-registered": "unregistered",
    "states-failure-stored": "no-failure-result",
    "states-retried": "no-retry",
    "canvas-tasks-registered": "unregistered",
    "canvas-chord-result": "no-chord-result",
    "canvas-chain-stopped": "no-chain-failure",
    "timing-tasks-registered": "unregistered",
    "timing-countdown-ran": "no-countdown-run",
    "timing-beat-sent": "no-beat-run",
    "timing-visibility-timeout": "short-visibility-timeout",
    # lesson 12's scenarios: tests/test_12_stages.py
    "watched-tasks-registered": "unregistered",
    "watched-gate-opened": "no-gate-opened",
    "flower-loopback": "flower-exposed",
    "flower-login": "flower-no-login",
    "flower-task-events": "no-task-events",
    # lesson 13's: tests/test_13_stages.py
    "reliable-tasks-registered": "unregistered",
    "reliable-acks-late": "early-acks",
    "reliable-nothing-lost": "tasks-lost",
    # lesson 14's: tests/test_14_stages.py
    "reliable-broker-keeps": "broker-forgets",
    "broker-nothing-lost": "broker-tasks-lost",
    # lesson 15's: tests/test_15_bench.py
    "ladder-measured": "no-ladder",
    "peers-measured": "no-peers",
    # lesson 16's: tests/test_16_tls.py
    "hosts-up": "no-hosts",
    "redis-tls-only": "plain-text-open",
    "celery-user-limited": "celery-user-unlimited",
    # lesson 17's: tests/test_17_routing.py
    "routed-workers": "no-host-worker",
    # lesson 18's: tests/test_18_failover.py
    "sentinels-agree": "no-sentinel",
    "failover-workers": "no-failover-worker",
    # lesson 19's: tests/test_19_testing.py
    "not-always-eager": "always-eager",
    "tests-pass": "tests-fail",
    # lesson 20's: tests/test_20_web.py
    "web-loopback": "web-down",
    "web-login": "web-password",
    "web-progress": "web-no-worker",
    "mail-after-commit": "commit-race",
    # lesson 21's: tests/test_21_services.py
    "units-verified": "unit-invalid",
    "worker-stop-safe": "unit-kills-tasks",
    "units-restart": "unit-restart",
    "beat-schedule-writable": "schedule-unwritable",
    "pool-child-limit": "no-child-limit",
    "services-installed": "services-not-installed",
    "services-active": "services-not-installed",
    "service-worker-answers": "services-not-installed",
    "one-beat": "two-beats",
}


def all_check_ids(course) -> list[str]:
    return [c.id for s in course.stages for c in s.checks]


def test_every_check_has_a_failing_scenario(course):
    assert sorted(all_check_ids(course)) == sorted(FAILING)


# --- every later lesson: the previous lesson's worker left running -------------------------------


@pytest.mark.parametrize("check_id, previous, previous_app, missing", [
    ("inside-tasks-registered", "05", "server", "inside.add"),
    ("states-tasks-registered", "08", "inside", "states.divide"),
    ("canvas-tasks-registered", "09", "states", "flow.xsum"),
    ("timing-tasks-registered", "10", "flow", "timing.tick"),
    ("watched-tasks-registered", "11", "timing", "watched.gate"),
    ("reliable-tasks-registered", "12", "watched", "reliable.work"),
])
def test_tasks_fail_with_the_previous_lessons_worker(course, services, redis_server, check_id, previous, previous_app,
                                                     missing):
    """It listens on database 0 too, so it answers, but it knows its own lesson's tasks only."""
    worker(services, paths.lesson_dir(previous), previous_app)
    result = run_check(course, check_id)
    assert_fails_with(result, course, "unregistered")
    assert missing in result.detail and f"{previous_app}." in result.detail
    stage = next(s for s in course.stages if any(c.id == check_id for c in s.checks))
    app = next(c.params["app"] for c in stage.checks if c.id == check_id)
    assert f"-A {app}" in result.hint and f"lessons/{stage.lesson}" in result.hint


# --- the checker's command line -----------------------------------------------------------------


def checker(*args: str, port: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "CELERY_LAB_REDIS_PORT": str(port), "COLUMNS": "250"}
    return subprocess.run([sys.executable, "scripts/check.py", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_checker_table_shows_the_next_step(course, redis_server):
    proc = checker(port=redis_server.port)
    out = proc.stdout
    assert proc.returncode == 1
    on_this_path = [s for s in course.stages if checks.applies(s)]  # the VM's stage is marked "no VM" here
    assert f"3/{len(on_this_path)} reached" in out and "not reached" in out
    assert "next: Worker up" in out and "Run the worker" in out


def test_checker_stage_details_and_exit_codes(redis_server):
    ok = checker("redis-running", port=redis_server.port)
    assert ok.returncode == 0 and "Stage redis-running reached" in ok.stdout
    unknown = checker("no-such-stage", port=redis_server.port)
    assert unknown.returncode == 2 and "redis-built" in unknown.stdout
