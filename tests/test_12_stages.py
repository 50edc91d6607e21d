"""Stage monitoring (lesson 12): its checks pass with the lesson's worker and Flower, and fail with their
hints for the learner's real mistakes — Flower not started, started with its own defaults (every
interface, no login), another password, a worker without -E. (tests/test_stages.py holds the
failing-scenario map of every check; this file, lesson 12's scenarios.)

Flower on every interface is shown inside a private network namespace of the test's own, where the
only interface is a loopback: nothing is exposed beyond it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import assert_fails_with, assert_passes, check_in_private_net, run_check
from courselab import lessonapp, paths
from courselab.services import Flower, Process, ServiceError, Worker, free_port
from courselab.terminals import poll

LESSON = paths.lesson_dir("12")
CELERY = str(Path(sys.executable).with_name("celery"))


def watched_worker(services, *extra: str) -> Worker:
    return services.add(Worker(LESSON, "watched", extra=("--without-mingle", "--without-gossip", "-c", "2", *extra)))


def call(task: str, *args):
    with lessonapp.lesson_app(LESSON, "watched") as app:
        return app.send_task(task, args).get(timeout=60)


def open_one_gate() -> str:
    with lessonapp.lesson_app(LESSON, "watched") as app:
        result = app.send_task("watched.gate", ["a"])
        with app.connection() as connection:
            connection.default_channel.client.lpush("gate:a", "open")
        return result.get(timeout=60)


@pytest.fixture
def flower(services, redis_server, tmp_path, monkeypatch) -> Flower:
    """flower.sh, its password in a home of the test's own (the checker reads it there, as HOME says)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return services.add(Flower(free_port(), tmp_path / "home"))


def check(course, check_id: str, flower_port: int):
    params = {"port": flower_port} if check_id.startswith("flower-") else {}
    return run_check(course, check_id, **params)


def flower_without_flower_sh(services, port: int, *options: str) -> Process:
    """`celery -A watched flower` started by hand, without the lesson's script."""
    env = {**lessonapp.lesson_env(LESSON, "watched")}
    env.pop("FLOWER_BASIC_AUTH", None)
    argv = [CELERY, "-A", "watched", "flower", f"--port={port}", *options]
    process = services.add(Process("celery -A watched flower", argv, LESSON, paths.RUN / "logs" / f"flower-{port}.log",
                                   env))
    if not poll(lambda: "Connected to redis" in process.output() or not process.alive(), 60):
        raise ServiceError(process.output())
    return process


def test_monitoring_passes_with_the_lessons_worker_and_flower(course, services, flower):
    watched_worker(services, "-E")
    flower.wait_for_events()
    assert open_one_gate() == "opened"
    assert call("watched.add", 2, 2) == 4
    for check_id in ("watched-tasks-registered", "watched-gate-opened", "flower-loopback", "flower-login"):
        assert_passes(check(course, check_id, flower.port))
    # Flower hears of the task from the worker's events, just after its result is stored
    result = poll(lambda: check(course, "flower-task-events", flower.port), 30, done=lambda r: r.ok)
    assert_passes(result)
    assert "watched.add[" in result.detail


def test_gate_check_fails_when_only_add_ran(course, services, redis_server):
    watched_worker(services)
    assert call("watched.add", 1, 2) == 3
    result = run_check(course, "watched-gate-opened")
    assert_fails_with(result, course, "no-gate-opened")
    assert "1 × watched.add SUCCESS" in result.detail and "lpush gate:a" in result.hint


def test_flower_checks_fail_when_flower_is_not_running(course, redis_server):
    port = free_port()
    for check_id in ("flower-loopback", "flower-login"):
        result = check(course, check_id, port)
        assert_fails_with(result, course, "flower-down")
        assert "bash flower.sh" in result.hint


def test_flower_without_a_login_is_named(course, services, redis_server):
    process = flower_without_flower_sh(services, port := free_port(), "--address=127.0.0.1")
    assert process.alive()
    assert_passes(check(course, "flower-loopback", port))
    result = check(course, "flower-login", port)
    assert_fails_with(result, course, "flower-no-login")
    assert "200 without a password" in result.detail


def test_flower_with_another_password_is_named(course, services, flower, tmp_path, monkeypatch):
    """Flower runs with the password of another home (another user's flower.sh, or a file deleted since)."""
    other = tmp_path / "other-home"
    (other / ".config/celery-lab").mkdir(parents=True)
    (other / ".config/celery-lab/flower-password").write_text("not-the-password\n")
    monkeypatch.setenv("HOME", str(other))
    result = check(course, "flower-login", flower.port)
    assert_fails_with(result, course, "flower-password")
    assert "HTTP 401" in result.detail


def test_flower_without_task_events_is_named(course, services, flower):
    """The worker was started without -E: Flower sees it, but none of its tasks."""
    watched_worker(services)
    flower.wait_for_events()  # it hears the worker's heartbeats: it is listening
    assert call("watched.add", 2, 2) == 4
    result = check(course, "flower-task-events", flower.port)
    assert_fails_with(result, course, "no-task-events")
    assert "-E" in result.hint


START_FLOWER = """\
{redis} --port {redis_port} --save '' --appendonly no > redis.log 2>&1 &
cd {lesson}
FLOWER_BASIC_AUTH=learner:pw {celery} -A watched flower --port={port} > {tmp}/flower.log 2>&1 &
for _ in $(seq 600); do grep -q 'Connected to redis' {tmp}/flower.log && break; sleep 0.1; done
grep 'Visit me at' {tmp}/flower.log
"""


def test_flower_with_its_default_address_listens_on_every_interface(course, tmp_path):
    """Flower started without --address, inside a private network namespace (its one interface a
    loopback): it listens on 0.0.0.0 and ::, though it says 'Visit me at http://127.0.0.1'; the check names it."""
    port, redis_port = 5555, 6379  # the namespace's own ports: nothing else listens there
    env = {**os.environ, "CELERY_LAB_REDIS_PORT": str(redis_port), "HOME": str(tmp_path)}
    for var in lessonapp.ENV_URLS:
        env.pop(var, None)
    start = START_FLOWER.format(redis=paths.redis_bin(), redis_port=redis_port, lesson=LESSON, celery=CELERY,
                                port=port, tmp=tmp_path)
    out = check_in_private_net(start, "monitoring", "flower-loopback", port, tmp_path, env)
    assert f"Visit me at http://127.0.0.1:{port}" in out
    assert f"False flower-exposed port {port} listens on 0.0.0.0, :: (every interface)" in out, out
