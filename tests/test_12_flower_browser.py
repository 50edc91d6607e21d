"""Lesson 12's Flower, tested in a real browser: Debian's headless Chromium, driven by Selenium through
Debian's chromedriver (nothing is downloaded at run time; `make test` installs both with apt).

Flower is started by the lesson's own flower.sh, on a free loopback port, with a real worker (-E) and a
real Redis. The browser without the password is refused; logged in (HTTP basic authentication, the
header sent with every request), it finds on Flower's Tasks page the id of a task the test just ran.
The dashboard screenshot it takes is the lesson's flower-dashboard.png when the lesson's outputs are
blessed: CELERY_LAB_BLESS_SCREENSHOT=1 pytest tests/test_12_flower_browser.py
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from conftest import lesson_lab, login, png_size
from courselab import paths
from courselab.services import Flower, Worker, free_port
from courselab.terminals import poll

LESSON = paths.lesson_dir("12")
SCREENSHOT = LESSON / "flower-dashboard.png"


@pytest.fixture
def flower_lab(tmp_path):
    """Redis, lesson 12's worker as the lesson starts it (-E -c 2 -n w1@...) and Flower from flower.sh."""
    with lesson_lab(tmp_path / "redis", "12", "watched") as (app, services, r):
        services.add(Worker(LESSON, "watched", extra=("-E", "-c", "2", "-n", "w1@celery-lab",
                                                       "--without-mingle", "--without-gossip")))
        flower = services.add(Flower(free_port(), tmp_path / "home"))
        flower.wait_for_events()
        yield app, flower


def statuses(driver, url: str) -> list[int]:
    """The HTTP statuses of the browser's responses for `url`, from its DevTools events."""
    found = []
    for entry in driver.get_log("performance"):
        event = json.loads(entry["message"])["message"]
        if event["method"] == "Network.responseReceived" and event["params"]["response"]["url"] == url:
            found.append(event["params"]["response"]["status"])
    return found


def test_flower_listens_on_loopback_behind_a_password(flower_lab, chromium):
    app, flower = flower_lab
    base = f"http://127.0.0.1:{flower.port}"
    assert flower.get("/", login=False)[0] == 401
    assert flower.get("/api/tasks", login=False)[0] == 401
    chromium.get(f"{base}/tasks")
    assert statuses(chromium, f"{base}/tasks") == [401]
    assert "watched" not in chromium.page_source
    # as lesson 12 says: Flower's Prometheus figures and health check ask for no login
    assert flower.get("/metrics", login=False)[0] == 200 and flower.get("/healthcheck", login=False)[0] == 200
    # the password file flower.sh made is the user's alone
    assert (flower.home / ".config/celery-lab/flower-password").stat().st_mode & 0o077 == 0


def test_a_logged_in_browser_finds_the_task_it_ran(flower_lab, chromium, tmp_path):
    app, flower = flower_lab
    base = f"http://127.0.0.1:{flower.port}"
    results = [app.tasks["watched.add"].delay(i, i) for i in range(3)]
    assert [r.get(timeout=30) for r in results] == [0, 2, 4]
    login(chromium, flower.password)
    chromium.get(f"{base}/tasks")
    assert poll(lambda: results[-1].id in chromium.page_source, 30), chromium.page_source[-2000:]
    assert "SUCCESS" in chromium.page_source
    # the dashboard, once it counts the three tasks the worker processed
    chromium.get(f"{base}/")
    assert poll(lambda: "w1@celery-lab" in chromium.page_source and "Online" in chromium.page_source, 30)
    shot = tmp_path / "flower-dashboard.png"
    assert chromium.save_screenshot(str(shot))
    width, height = png_size(shot.read_bytes())
    assert width == 1280 and height > 400  # the window, less what headless Chromium keeps for itself
    if os.environ.get("CELERY_LAB_BLESS_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def test_the_lesson_shows_a_screenshot_this_test_took():
    assert png_size(SCREENSHOT.read_bytes())[0] == 1280
    assert f"]({SCREENSHOT.name})" in (LESSON / "README.md").read_text()
