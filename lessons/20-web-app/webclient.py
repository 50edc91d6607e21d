# -*- coding: utf-8 -*-
# What send.py and race.py share: the page's address, its login, and a task's state asked until it ends.
import base64
import json
import os
import time
import urllib.parse
import urllib.request
from pathlib import Path

BASE = f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8000')}"
PASSWORD = (Path.home() / '.config/celery-lab/web-password').read_text().strip()
LOGIN = {'Authorization': 'Basic ' + base64.b64encode(f'learner:{PASSWORD}'.encode()).decode()}


def post(path, **form):
    """POST a form: (HTTP status, the JSON answer)."""
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(BASE + path, data, LOGIN), timeout=10) as answer:
        return answer.status, json.load(answer)


def get(path):
    with urllib.request.urlopen(urllib.request.Request(BASE + path, headers=LOGIN), timeout=10) as answer:
        return json.load(answer)


def states(task_id, timeout=30):
    """Each state of the task as /tasks/<id> tells it, until it ends (or `timeout` seconds pass)."""
    deadline = time.monotonic() + timeout
    while True:
        task = get(f'/tasks/{task_id}')
        yield task
        if task['state'] in ('SUCCESS', 'FAILURE') or time.monotonic() > deadline:
            return
        time.sleep(0.25)
