# -*- coding: utf-8 -*-
# Ask Flower's HTTP API what it knows of one task:   python ask_flower.py TASK_ID
# Flower learns of tasks from the workers' events: this waits (10 s at most) until it has seen the
# task finish, then prints what it saw.
import base64
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

password = (Path.home() / '.config/celery-lab/flower-password').read_text().strip()
login = base64.b64encode(f'learner:{password}'.encode()).decode()
request = urllib.request.Request(f'http://127.0.0.1:5555/api/task/info/{sys.argv[1]}',
                                 headers={'Authorization': f'Basic {login}'})
deadline = time.monotonic() + 10
while True:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            task = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code != 404:  # 404: Flower has not heard of it (yet)
            raise
        task = {}
    if task.get('state') in ('SUCCESS', 'FAILURE') or time.monotonic() > deadline:
        break
    time.sleep(0.2)
for field in ('name', 'args', 'state', 'result', 'worker', 'client'):
    print(f'{field:>7}: {task.get(field)}')
