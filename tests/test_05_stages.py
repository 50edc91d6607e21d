"""Lesson 05's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

from conftest import assert_fails_with, assert_passes, lesson_copy, run_check, worker

# --- worker-up ----------------------------------------------------------------------------------


def test_worker_up_passes_with_the_lesson_worker(course, worker05):
    assert_passes(run_check(course, "worker-ping"))
    assert_passes(run_check(course, "tasks-registered"))


def test_worker_ping_fails_without_a_worker(course, redis_server):
    result = run_check(course, "worker-ping")
    assert_fails_with(result, course, "worker-down")
    assert "celery -A server worker" in result.hint


def test_tasks_registered_fails_for_a_worker_started_from_old_code(course, services, redis_server, tmp_path):
    # the learner started the worker before writing sendmail, and never restarted it
    old = lesson_copy(tmp_path, "05")
    source = (old / "server.py").read_text()
    without_sendmail = source[: source.index("@app.task\ndef sendmail")] + source[source.index("# The app") :]
    (old / "server.py").write_text(without_sendmail)
    worker(services, old, "server")
    result = run_check(course, "tasks-registered")
    assert_fails_with(result, course, "unregistered")
    assert "server.sendmail" in result.detail
