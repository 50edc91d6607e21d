# -*- coding: utf-8 -*-
# Count, as the admin (the user celery may not read Redis's counts), what became of the tasks send.py sent,
# and what waits in each queue, once the workers are done with what they can take:   python count.py
import time

import redis
from lan import REDIS_HOST, login
from routes import app  # importing routes.py runs lan.py's guard first: on a lesson host only

admin = redis.Redis(host=REDIS_HOST, port=6379, decode_responses=True, **login('admin'))
# The queues some worker consumes (inspect active_queues, as the user celery): a queue nobody consumes waits.
consumed = {q['name'] for queues in (app.control.inspect(timeout=2).active_queues() or {}).values() for q in queues}


def counts():
    submitted = admin.smembers('celery:lab:submitted')
    completed = admin.smembers('celery:lab:completed')
    waiting = {queue: admin.llen(f'celery:{queue}') for queue in ('mail', 'math')}
    return len(submitted), len(submitted & completed), waiting


# Done: every queue a worker consumes is empty, and every task has completed or waits in a queue (so none is
# left in a worker's hands). On a slow machine that takes longer, not a different count: 60 s at most.
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    submitted, completed, waiting = counts()
    if not any(waiting[q] for q in consumed & waiting.keys()) and completed + sum(waiting.values()) == submitted:
        break
    time.sleep(0.2)
print(f'{"submitted":>9} {"completed":>9} {"waiting in mail":>15} {"waiting in math":>15}')
print(f'{submitted:>9} {completed:>9} {waiting["mail"]:>15} {waiting["math"]:>15}')
