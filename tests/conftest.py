"""Shared fixtures: a real Redis from the course's own build, real `celery worker` processes.

Nothing of Redis or Celery is mocked here. Every test Redis listens on a free loopback port
(never 6379, which may be the learner's), and every process is stopped by PID at the end.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from courselab import checks, lessonapp, paths, stages
from courselab.services import RedisServer, Services, Worker, free_port

REPO = paths.REPO

# The tests read the course's English words (the lessons' outputs, the checker's hints) whatever this machine's
# locale: the checker speaks Chinese under a Chinese one (docs/editions.md); tests/test_editions.py asks for it.
for _name in ("LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"


# Lesson 16's tests name their hosts in this machine's /run/netns: `ip netns add` makes that folder, and mounts it on
# itself, the first time. A run that found none leaves none: once every test is done, the controller (not each
# xdist worker) removes it again if it is empty.
NETNS = Path("/run/netns")
NETNS_FOUND = pytest.StashKey[bool]()


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        config.stash[NETNS_FOUND] = NETNS.exists()


def pytest_unconfigure(config):
    if hasattr(config, "workerinput") or config.stash.get(NETNS_FOUND, True):
        return
    if NETNS.is_dir() and not any(NETNS.iterdir()):
        while subprocess.run(["mountpoint", "-q", str(NETNS)]).returncode == 0:
            if subprocess.run(["umount", str(NETNS)], capture_output=True).returncode != 0:
                return
        NETNS.rmdir()


@pytest.fixture(scope="session")
def course() -> stages.Course:
    return stages.load()


@pytest.fixture(scope="session", autouse=True)
def redis_built() -> Path:
    """The course's Redis, with TLS, built by scripts/build-redis.sh (`make test` builds it first: then nothing to
    do; an older build without TLS is built again)."""
    subprocess.run(["bash", str(REPO / "scripts/build-redis.sh"), "--prefix", str(paths.redis_prefix())], check=True)
    return paths.redis_prefix()


@pytest.fixture
def services():
    with Services() as started:
        yield started


@pytest.fixture
def port(monkeypatch) -> int:
    """A free loopback port, made the course's Redis port for the checker and lesson processes."""
    chosen = free_port()
    monkeypatch.setenv("CELERY_LAB_REDIS_PORT", str(chosen))
    for var in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    return chosen


@pytest.fixture
def redis_server(services, port, tmp_path) -> RedisServer:
    return services.add(RedisServer(port, tmp_path / "redis"))


def worker(services: Services, folder: Path, app: str) -> Worker:
    return services.add(Worker(folder, app, extra=("--without-mingle", "--without-gossip", "-c", "1")))


@pytest.fixture
def worker05(services, redis_server) -> Worker:
    return worker(services, paths.lesson_dir("05"), "server")


@pytest.fixture
def worker07(services, redis_server) -> Worker:
    return worker(services, paths.lesson_dir("07"), "app")


def lesson_copy(tmp_path: Path, lesson: str) -> Path:
    """A copy of a lesson folder (symlinks followed) to change one thing in, as a learner might.

    Stages and workers accept its absolute path wherever they take a lesson name.
    """
    target = tmp_path / paths.lesson_dir(lesson).name
    shutil.copytree(paths.lesson_dir(lesson), target, symlinks=False)
    return target


def run_check(course: stages.Course, check_id: str, lesson: str | None = None, **params) -> checks.Result:
    """Run one check of stages.toml, optionally against another lesson folder or parameters."""
    for stage in course.stages:
        for check in stage.checks:
            if check.id == check_id:
                if lesson:
                    stage = stages.Stage(stage.id, stage.title, lesson, stage.checks)
                if params:
                    check = stages.Check(check.id, check.fn, {**check.params, **params})
                return checks.run_check(course, stage, check)
    raise KeyError(check_id)


@contextlib.contextmanager
def lesson_lab(redis_dir: Path, lesson: str, app: str) -> Iterator[tuple]:
    """A Redis on a free port and the lesson's app pointed at it, for the tests of one lesson's claims:
    yields (app, services, a client with decoded replies); whatever is added to `services` is stopped at the end."""
    import redis

    mp = pytest.MonkeyPatch()
    port = free_port()
    mp.setenv("CELERY_LAB_REDIS_PORT", str(port))
    for var in lessonapp.ENV_URLS:
        mp.delenv(var, raising=False)
    try:
        with Services() as services:
            services.add(RedisServer(port, redis_dir))
            with lessonapp.lesson_app(paths.lesson_dir(lesson), app) as celery_app:
                yield celery_app, services, redis.Redis(port=port, decode_responses=True)
    finally:
        mp.undo()


# --- a stage check's outcome, as the tests of every lesson assert it --------------------------------------


def assert_fails_with(result, course, cause_id: str):
    assert not result.ok, result.detail
    assert result.cause is not None, f"no cause recognised for: {result.detail}"
    assert result.cause.id == cause_id, result.detail
    cause = course.causes[cause_id]
    assert result.hint and "{" not in result.hint, result.hint  # rendered, placeholders filled
    assert result.where.startswith("lessons/") and cause.section in result.where


def assert_passes(result):
    assert result.ok, f"{result.check.id}: {result.detail} / {result.hint}"
    assert result.detail


# --- how pytest-xdist shares the tests out (`make test`: -n 4 --dist loadfile) ------------------------


# The longest units first (as measured with --durations in CI's run of 8641293: 107, 96, 92, 88, 83, 69, 67 s...), so
# that no worker begins one of them when the others are done. (xdist itself hands out the files with the most tests
# first.)
LONGEST_FIRST = (
    "tests/test_transcripts.py::test_lesson_plays_as_written[15-",
    "tests/test_transcripts.py::test_lesson_plays_as_written[11-",
    "tests/test_transcripts.py::test_lesson_plays_as_written[13-",
    "tests/test_transcripts.py::test_lesson_plays_as_written[19-",
    "notebooks/11-",
    "notebooks/13-",
    "tests/test_transcripts.py::test_lesson_plays_as_written[14-",
    "notebooks/15-",
    "tests/test_15_bench.py",
    "tests/test_13_",
    "tests/test_11_behaviour.py",
)


def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile (a test file runs on one worker, in order), but each lesson's play is a unit of its own,
    and the longest units are handed out first (LONGEST_FIRST).

    The plays are most of the suite's time, and they share nothing: each runs in private namespaces with its
    own 6379 and its own copy of the lesson folders (courselab.terminals.private_lessons).
    """
    from xdist.scheduler import LoadFileScheduling

    class PlaysApart(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if "::test_lesson_plays_as_written[" in nodeid:
                return nodeid
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            for prefix in reversed(LONGEST_FIRST):
                for scope in [s for s in self.workqueue if s.startswith(prefix)]:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return PlaysApart(config, log)


@pytest.fixture
def as_learner(hosts, monkeypatch):
    """Lessons 16-18: the checker sees the test module's `hosts` (and their home) as the learner's."""
    monkeypatch.setenv("CELERY_LAB_HOSTS", hosts.prefix)
    monkeypatch.setenv("HOME", str(hosts.home))
    return hosts


# --- a real browser: Debian's headless Chromium, driven by Selenium (lessons 12 and 20) -----------------

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture
def chromium():
    """Lessons 12 and 20's browser: a headless Chromium, quit at the end (Selenium stops its chromedriver by PID)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"no {' or '.join(missing)}: `make test` installs Debian's chromium and chromium-driver "
                    "(scripts/install-build-deps.sh chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # the DevTools events: responses
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,720", "--no-first-run", "--disable-background-networking"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def login(driver, password: str) -> None:
    """Send Flower's login (HTTP basic authentication) with every request the browser makes."""
    token = base64.b64encode(f"learner:{password}".encode()).decode()
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}})


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


# --- a check run inside a private network namespace (its one interface a loopback) ---------------------

CHECK_INSIDE = """
{python} -c 'import sys; sys.path.insert(0, "{scripts}")
from courselab import checks, stages
course = stages.load()
stage = course.stage("{stage}")
check = next(c for c in stage.checks if c.id == "{check}")
r = checks.run_check(course, stage, stages.Check(check.id, check.fn, {{"port": {port}}}))
print(r.ok, r.cause.id if r.cause else None, r.detail)'
"""


def check_in_private_net(start: str, stage: str, check: str, port: int, cwd: Path, env: dict) -> str:
    """`start` (bash lines that start a server and wait for it), then one check with {"port": port}, inside a
    private network namespace whose only interface is a loopback: a server on every interface exposes nothing.
    Its stdout ("ok cause detail"); the kernel ends what `start` started with the namespace's first process."""
    from courselab.terminals import can_isolate

    ok, why = can_isolate()
    if not ok:
        pytest.skip(f"no private network namespace here: {why}")
    script = "set -euo pipefail\nip link set lo up\n" + start + CHECK_INSIDE.format(
        python=sys.executable, scripts=paths.SCRIPTS, stage=stage, check=check, port=port)
    flags = ["--net", "--pid", "--fork", "--mount-proc", "--kill-child"]
    if os.geteuid() != 0:
        flags = ["--user", "--map-root-user", *flags]
    proc = subprocess.run(["unshare", *flags, "bash", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout
