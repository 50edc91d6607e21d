"""Lesson 20's checks: the Flask page served on loopback behind its password, a mail sent through it with its
progress, and sign-ups whose welcome mail is sent after the commit. They talk to the page over HTTP, as its form
and the lesson's send.py and race.py do."""

from __future__ import annotations

import json
import time
import urllib.error

from .. import paths
from ..services import http_request
from .base import Failed, Stage, check
from .monitor import loopback_only


def _call(port: int, path: str, form: dict | None = None, login: bool = True) -> tuple[int, dict | str]:
    """(HTTP status, the JSON answer or the text) of the page on `port`, logged in with web.sh's password."""
    password = None
    if login:
        try:
            password = paths.password_file("web").read_text().strip()
        except OSError:
            raise Failed("web-password", f"{paths.password_file('web')} cannot be read") from None
    try:
        status, body = http_request(port, path, password, form, timeout=15)
    except (TimeoutError, urllib.error.URLError) as error:
        raise Failed("web-down", f"no answer from 127.0.0.1:{port}: {getattr(error, 'reason', error)}") from None
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode(errors="replace").strip()


def _ended(port: int, task_id: str, timeout: float) -> tuple[dict, set[str]]:
    """The task's last state as /tasks/<id> says it, once it ended (or `timeout` passed), and every state seen."""
    seen, deadline = set(), time.monotonic() + timeout
    while True:
        status, task = _call(port, f"/tasks/{task_id}")
        if status != 200:
            raise Failed("web-error", f"GET /tasks/{task_id}: HTTP {status} (see the page's log in its terminal)")
        seen.add(task["state"])
        if task["state"] in ("SUCCESS", "FAILURE") or time.monotonic() > deadline:
            return task, seen
        time.sleep(0.1)


def _sent(port: int, path: str, form: dict) -> str:
    """POST a form that sends a task: its id (202), else the cause of the answer."""
    status, answer = _call(port, path, form)
    if status == 202:
        return answer["id"]
    raise Failed("web-error", f"POST {path}: HTTP {status} (see the page's log in its terminal)")


@check
def web_on_loopback(stage: Stage, port: int) -> str:
    return loopback_only(port, "web-down", "web-exposed")


@check
def web_login(stage: Stage, port: int) -> str:
    status, text = _call(port, "/", login=False)
    if status == 200:
        raise Failed("web-no-login", f"http://127.0.0.1:{port}/ answers 200 without a password")
    if status == 503:
        raise Failed("web-password", f"http://127.0.0.1:{port}/ answers 503: {text}")
    if status != 401:
        raise Failed("web-down", f"http://127.0.0.1:{port}/ answers {status}: is it lesson 20's page?")
    status, _ = _call(port, "/")
    if status != 200:
        raise Failed("web-password", f"with the password in {paths.password_file('web')}: HTTP {status}")
    return "HTTP 401 without a password, 200 with the password of web.sh's user learner"


@check
def web_progress(stage: Stage, port: int, wait: float) -> str:
    task_id = _sent(port, "/mail", {"to": "check@example.com"})
    task, seen = _ended(port, task_id, wait)
    if task["state"] == "PENDING":
        raise Failed("web-no-worker", f"task {task_id} still PENDING after {wait:.0f} s: no worker took it")
    if task["state"] != "SUCCESS" or "PROGRESS" not in seen:
        raise Failed("web-no-progress", f"task {task_id}: states seen {sorted(seen)}, then {task}")
    return f"POST /mail: 202, then PROGRESS and SUCCESS ({task['result']})"


@check
def mail_after_commit(stage: Stage, port: int, signups: int, wait: float) -> str:
    ids = [_sent(port, "/signup", {"email": f"check{i}@example.com"}) for i in range(signups)]
    ends = [_ended(port, task_id, wait)[0] for task_id in ids]
    if any(task["state"] == "PENDING" for task in ends):
        raise Failed("web-no-worker", f"welcome mails still PENDING after {wait:.0f} s: no worker took them")
    failed = [task for task in ends if task["state"] != "SUCCESS"]
    if failed:
        raise Failed("commit-race",
                     f"POST /signup x{signups}: {len(failed)} welcome mails failed: {failed[0].get('error')}")
    return f"POST /signup x{signups}: {signups} welcome mails sent, 0 failed"
