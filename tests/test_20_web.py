"""Lesson 20: the Flask page in front of Celery, run as the lesson runs it — the worker (`celery -A make_celery
worker`), the page (`bash web.sh`: gunicorn on loopback, behind a password), a real Redis.

In a real browser (Debian's headless Chromium): the form sent, the progress bar seen between 0 and 100 and then at
100, the result shown; its screenshot is the lesson's web-page.png when blessed:
CELERY_LAB_BLESS_SCREENSHOT=1 pytest tests/test_20_web.py. The commit race counted over 20 sign-ups with the
lesson's race.py, each way. Stage web: it passes, and each check fails with its hint for the learner's mistakes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    assert_fails_with,
    assert_passes,
    check_in_private_net,
    lesson_copy,
    lesson_lab,
    login,
    png_size,
    run_check,
)
from courselab import paths
from courselab.services import Web, Worker, free_port
from courselab.terminals import poll

LESSON = paths.lesson_dir("20")
SCREENSHOT = LESSON / "web-page.png"
GUNICORN = Path(sys.executable).with_name("gunicorn")
WEB_CHECKS = ("web-loopback", "web-login", "web-progress", "mail-after-commit")


def worker(services, folder=LESSON) -> Worker:
    return services.add(Worker(folder, "make_celery", extra=("-c", "2", "--without-mingle", "--without-gossip")))


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """Redis on a free port; HOME (the password file) and FLASK_DATABASE (the sign-ups) the test's own."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FLASK_DATABASE", str(tmp_path / "signups.sqlite"))
    with lesson_lab(tmp_path / "redis", "20", "make_celery") as (app, services, r):
        yield services, tmp_path / "home"


def check(course, check_id: str, port: int, lesson: str | None = None):
    return run_check(course, check_id, lesson=lesson, port=port)


def race(web: Web, path: str, n: int = 20) -> tuple[int, int, str]:
    """The lesson's race.py against `web`: (mails sent, mails failed, its output)."""
    env = {**os.environ, "HOME": str(web.home), "WEB_PORT": str(web.port)}
    proc = subprocess.run([sys.executable, "race.py", path, str(n)], cwd=LESSON, env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sent, failed = map(int, re.search(r"(\d+) welcome mails sent, (\d+) failed", proc.stdout).groups())
    assert sent + failed == n, proc.stdout
    return sent, failed, proc.stdout


def test_the_stage_passes_with_the_lessons_worker_and_page(course, lab):
    services, home = lab
    worker(services)
    web = services.add(Web(free_port(), home))
    assert paths.password_file("web", home).stat().st_mode & 0o077 == 0  # the user's alone
    for check_id in WEB_CHECKS:
        assert_passes(check(course, check_id, web.port))


def test_the_commit_race_counted(lab):
    """Sent before the commit, the welcome mail finds no user: most of 20 fail (the worker takes a task within
    milliseconds, the request commits 50 ms later; how many depends on the machine's load, never all saved).
    Sent after the commit: none fails."""
    services, home = lab
    worker(services)
    web = services.add(Web(free_port(), home))
    sent, failed, out = race(web, "/signup-early")
    assert failed >= 1, out
    assert "x TypeError: 'NoneType' object is not subscriptable" in out
    sent, failed, out = race(web, "/signup")
    assert (sent, failed) == (20, 0), out


def test_a_browser_sends_the_form_and_sees_the_progress(lab, chromium, tmp_path):
    services, home = lab
    worker(services)
    web = services.add(Web(free_port(), home))
    base = f"http://127.0.0.1:{web.port}/"
    chromium.get(base)
    assert "Send the article's mail" not in chromium.page_source  # 401: no password, no page
    login(chromium, web.password)
    chromium.get(base)
    assert poll(lambda: "Send the article's mail" in chromium.page_source, 10)
    chromium.find_element("css selector", "#mail button").click()
    bar = chromium.find_element("id", "bar")
    seen = set()

    def done() -> bool:
        seen.add(float(bar.get_attribute("value")))
        return chromium.find_element("id", "result").text != ""

    assert poll(done, 30, interval=0.05)
    assert chromium.find_element("id", "result").text == "mail sent to learner@example.com"
    assert chromium.find_element("id", "state").text == "SUCCESS"
    assert any(0 < value < 100 for value in seen), seen  # the bar moved with the task's PROGRESS
    assert float(bar.get_attribute("value")) == 100
    shot = tmp_path / "web-page.png"
    assert chromium.save_screenshot(str(shot))
    assert png_size(shot.read_bytes())[0] == 1280
    if os.environ.get("CELERY_LAB_BLESS_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def test_the_lesson_shows_a_screenshot_the_browser_test_took():
    assert png_size(SCREENSHOT.read_bytes())[0] == 1280
    assert f"]({SCREENSHOT.name})" in (LESSON / "README.md").read_text()


# --- the learner's mistakes, each named with its hint -----------------------------------------------------


def test_no_page_is_named(course, lab):
    result = check(course, "web-loopback", free_port())
    assert_fails_with(result, course, "web-down")
    assert "bash web.sh" in result.hint


def test_a_page_started_without_web_sh_is_named(course, lab, tmp_path):
    """gunicorn started by hand (no password file made): every page answers 503, which names web.sh."""
    services, home = lab
    web = Web(free_port(), home)
    web.argv = [str(GUNICORN), "--bind", f"127.0.0.1:{web.port}", "--no-control-socket", "web:create_app()"]
    services.add(web)
    result = check(course, "web-login", web.port)
    assert_fails_with(result, course, "web-password")
    assert "503" in result.detail and "bash web.sh" in result.hint


def test_no_worker_is_named(course, lab):
    services, home = lab
    web = services.add(Web(free_port(), home))
    result = run_check(course, "web-progress", port=web.port, wait=3)  # not the learner's 30 s
    assert_fails_with(result, course, "web-no-worker")
    assert "celery -A make_celery worker" in result.hint


def test_a_sign_up_that_sends_before_its_commit_is_named(course, lab, tmp_path):
    """The learner's /signup with the welcome mail sent before db.commit(), as /signup-early does."""
    services, home = lab
    folder = lesson_copy(tmp_path, "20")
    views = (folder / "web/views.py").read_text()
    early = views.replace("""    rest_of_the_request()
    db.commit()
    result = tasks.welcome.delay(user_id)  # after the commit: the worker finds the row
""", """    result = tasks.welcome.delay(user_id)
    rest_of_the_request()
    db.commit()
""")
    assert early != views
    (folder / "web/views.py").write_text(early)
    worker(services, folder)
    web = services.add(Web(free_port(), home, folder))
    result = check(course, "mail-after-commit", web.port, lesson=str(folder))
    assert_fails_with(result, course, "commit-race")
    assert "'NoneType' object is not subscriptable" in result.detail and "db.commit()" in result.hint


def test_gunicorn_on_every_interface_is_named(tmp_path):
    """gunicorn bound to 0.0.0.0, inside a private network namespace (its one interface a loopback)."""
    port = 8000  # the namespace's own: nothing else listens there
    log = tmp_path / "web.log"
    start = (f"cd {LESSON}\n{GUNICORN} --bind 0.0.0.0:{port} --no-control-socket 'web:create_app()' > {log} 2>&1 &\n"
             f"for _ in $(seq 600); do grep -q 'Booting worker' {log} && break; sleep 0.1; done\n")
    out = check_in_private_net(start, "web", "web-loopback", port, tmp_path, {**os.environ, "HOME": str(tmp_path)})
    assert f"False web-exposed port {port} listens on 0.0.0.0 (every interface)" in out, out
