"""Lesson 06's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

from conftest import assert_fails_with, assert_passes, lesson_copy, run_check

# --- client-works -------------------------------------------------------------------------------


def test_client_works_with_a_worker(course, worker05):
    assert_passes(run_check(course, "client-output"))


def test_client_fails_without_a_worker(course, redis_server):
    result = run_check(course, "client-output")
    assert_fails_with(result, course, "no-result")


def test_client_with_the_articles_bug_is_caught(course, worker05, tmp_path):
    copy = lesson_copy(tmp_path, "06")
    (copy / "client.py").write_text((copy / "article_client.py").read_text())
    result = run_check(course, "client-output", lesson=str(copy))
    assert_fails_with(result, course, "wrong-output")
    assert "Send Successful!" in str(result.detail)


def test_client_without_a_result_backend_is_explained(course, worker05, tmp_path):
    copy = lesson_copy(tmp_path, "06")
    server = (copy / "server.py").read_text().replace("backend='redis://localhost:6379/0', ", "")
    (copy / "server.py").write_text(server)
    result = run_check(course, "client-output", lesson=str(copy))
    assert_fails_with(result, course, "no-backend")
