"""Stage testing (lesson 19): the learner's own suite, run as the learner runs it (`pytest` in the lesson folder),
passes on the lab's Redis; each mistake the lesson names fails the stage with its own hint. The suites here are
copies of the lesson folder with one thing changed, as a learner might, and the slow files left out where the
scenario does not need them.
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import assert_fails_with, assert_passes, lesson_copy, run_check

SLOW = ("test_plugin.py", "test_client.py")  # a worker per test, and the clients' own polling: ~20 s of the suite


def suite(tmp_path: Path, keep: tuple[str, ...] = (), drop_slow: bool = True, **files: str) -> Path:
    """A copy of lesson 19's folder: only `keep` of its test files (all, with drop_slow=False), and `files`
    (name without .py -> text) written over it."""
    folder = lesson_copy(tmp_path, "19")
    for test in folder.glob("test_*.py"):
        if keep and test.name not in keep or not keep and drop_slow and test.name in SLOW:
            test.unlink()
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def test_the_lessons_suite_passes(course, redis_server):
    assert_passes(run_check(course, "not-always-eager"))
    result = run_check(course, "tests-pass")
    assert_passes(result)
    assert result.detail == "pytest in lessons/19-testing-tasks: 10 passed, 2 xfailed", result.detail


def test_the_fix_without_its_tests_fails(course, redis_server, tmp_path):
    mailing = (Path(lesson_copy(tmp_path / "orig", "19")) / "mailing.py").read_text()
    fixed = mailing.replace("return {mail['to'] for mail in mails}", "return sorted({mail['to'] for mail in mails})")
    assert fixed != mailing
    folder = suite(tmp_path, keep=("test_eager.py", "test_worker.py"), mailing=fixed)
    result = run_check(course, "tests-pass", lesson=str(folder))
    assert_fails_with(result, course, "tests-fail")
    # the eager test's set no longer holds either; the strict xfail fails too
    assert "2 failed, 3 passed" in result.detail and "test_eager.py::test_recipients_eagerly" in result.detail
    assert "xfail(strict=True)" in result.hint


def test_a_set_result_without_its_marker_is_named(course, redis_server, tmp_path):
    test = (lesson_copy(tmp_path / "orig", "19") / "test_worker.py").read_text()
    unmarked = "\n".join(line for line in test.splitlines() if not line.startswith("@pytest.mark.xfail"))
    folder = suite(tmp_path, keep=("test_eager.py", "test_worker.py"), test_worker=unmarked)
    result = run_check(course, "tests-pass", lesson=str(folder))
    assert_fails_with(result, course, "not-json")
    assert "test_worker.py::test_recipients" in result.detail and "real worker" in result.hint


def test_no_redis_is_named(course, port, tmp_path):
    result = run_check(course, "tests-pass", lesson=str(suite(tmp_path, keep=("test_eager.py", "test_worker.py"))))
    assert_fails_with(result, course, "redis-down")
    assert "2 passed, 3 errors" in result.detail


def test_no_plugin_is_named(course, redis_server, tmp_path):
    folder = suite(tmp_path, keep=("test_plugin.py",))
    conftest = (folder / "conftest.py").read_text()
    (folder / "conftest.py").write_text(conftest.replace("pytest_plugins = ('celery.contrib.pytest',)\n", ""))
    assert "pytest_plugins" not in (folder / "conftest.py").read_text().replace("# ", "")
    result = run_check(course, "tests-pass", lesson=str(folder))
    assert_fails_with(result, course, "no-celery-plugin")
    assert "pytest_plugins = ('celery.contrib.pytest',)" in result.hint


LATE = """
def test_late(celery_app, celery_worker):
    @celery_app.task
    def late():
        return 'too late'
    assert late.delay().get(timeout=10) == 'too late'
"""


def test_a_task_defined_after_the_worker_is_named(course, redis_server, tmp_path):
    result = run_check(course, "tests-pass", lesson=str(suite(tmp_path, keep=("x",), test_late=LATE)))
    assert_fails_with(result, course, "task-after-worker")
    assert "celery_worker.reload()" in result.hint


FIRE_AND_FORGET = """
import time

import pytest


@pytest.fixture(scope='session')
def celery_worker_parameters():
    return {'shutdown_timeout': 0.5}


@pytest.fixture
def slow(celery_app):
    @celery_app.task
    def slow():
        time.sleep(5)
    return slow


def test_fire_and_forget(slow, celery_worker):
    slow.delay()
    time.sleep(2.5)  # the in-memory transport is polled: the worker has taken the task by now
"""


def test_a_task_left_running_is_named(course, redis_server, tmp_path):
    result = run_check(course, "tests-pass", lesson=str(suite(tmp_path, keep=("x",), test_forget=FIRE_AND_FORGET)))
    assert_fails_with(result, course, "worker-stop-timeout")
    assert "1 passed, 1 error" in result.detail and "get(timeout=" in result.hint


NO_WORKER = """
from server import add


def test_add_without_a_worker():
    assert add.delay(4, 4).get(timeout=1) == 8
"""


def test_a_task_no_worker_runs_is_named(course, redis_server, tmp_path):
    result = run_check(course, "tests-pass", lesson=str(suite(tmp_path, keep=("x",), test_alone=NO_WORKER)))
    assert_fails_with(result, course, "no-test-worker")
    assert "`worker` fixture" in result.hint


HANGS = """
import time


def test_waits():
    time.sleep(60)
"""


def test_a_suite_that_does_not_end_is_stopped_and_named(course, redis_server, tmp_path):
    folder = suite(tmp_path, keep=("x",), test_hangs=HANGS)
    result = run_check(course, "tests-pass", lesson=str(folder), timeout=4)
    assert_fails_with(result, course, "tests-hang")
    assert "did not end within 4 s" in result.detail
    # its process group was killed by its PID: nothing of it runs any more
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cwd(p) == folder]
    assert not left, left


def _cwd(proc: Path) -> Path | None:
    try:
        return Path(os.readlink(proc / "cwd"))
    except OSError:
        return None


def test_always_eager_is_named(course, redis_server, tmp_path):
    folder = suite(tmp_path, keep=("x",))
    with open(folder / "config.py", "a") as config:
        config.write("task_always_eager = True\n")
    result = run_check(course, "not-always-eager", lesson=str(folder))
    assert_fails_with(result, course, "always-eager")
    assert "settings (config.py)" in result.hint and "apply()" in result.hint
