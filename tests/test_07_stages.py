"""Lesson 07's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

from conftest import assert_fails_with, assert_passes, lesson_copy, run_check, worker
from courselab import paths

# --- split-layout -------------------------------------------------------------------------------


def test_split_layout_passes_with_its_worker(course, worker07):
    for check_id in ("settings-names", "split-worker-ping", "split-config-loaded", "split-tasks-registered",
                     "split-client-output"):
        assert_passes(run_check(course, check_id))


def test_settings_names_fail_for_the_articles_config(course):
    result = run_check(course, "settings-names", lesson="07-split-layout/article")
    assert_fails_with(result, course, "old-names")
    assert "BROKER_URL" in result.detail


def test_settings_names_fail_for_mixed_names(course):
    result = run_check(course, "settings-names", lesson="07-split-layout/mixed")
    assert_fails_with(result, course, "mixed-names")


def test_split_worker_ping_fails_with_only_the_single_module_worker(course, worker05):
    # lesson 05's worker listens on broker db 0; the split layout's broker is db 1
    result = run_check(course, "split-worker-ping")
    assert_fails_with(result, course, "worker-down")
    assert "celery -A app worker" in result.hint and "/1" in result.detail


def test_split_config_fails_for_a_worker_on_the_articles_config(course, services, redis_server):
    worker(services, paths.lesson_dir("07-split-layout/article"), "app")
    result = run_check(course, "split-config-loaded")
    assert_fails_with(result, course, "config-not-loaded")
    assert "msgpack" in result.detail


def test_two_workers_under_one_name_are_named_as_the_cause(course, services, worker07):
    # lesson 07's article worker started beside the split layout's, both as celery@<host>
    worker(services, paths.lesson_dir("07-split-layout/article"), "app")
    result = run_check(course, "split-worker-ping")
    assert_fails_with(result, course, "duplicate-nodes")
    assert "2 workers answer as celery@" in result.detail
    # which settings differ, so the stranger can be told: the article's accepts msgpack
    assert "accept_content: " in result.detail and "['json', 'msgpack']" in result.detail
    assert "Stop the one you don't need" in result.hint


def test_split_tasks_fail_when_app_py_lacks_include(course, services, redis_server, tmp_path):
    copy = lesson_copy(tmp_path, "07")
    (copy / "app.py").write_text((copy / "app.py").read_text().replace("Celery('app', include=['server'])",
                                                                       "Celery('app')"))
    worker(services, copy, "app")
    result = run_check(course, "split-tasks-registered")
    assert_fails_with(result, course, "unregistered")
    assert "include=['server']" in result.hint


def test_split_client_fails_without_its_worker(course, worker05):
    assert_fails_with(run_check(course, "split-client-output"), course, "no-result")
