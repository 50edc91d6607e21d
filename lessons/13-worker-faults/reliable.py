# -*- coding: utf-8 -*-
# Lesson 13's app: a task that records each of its runs in Redis, so that faults can be counted.
import os
import time

import redis
from celery import Celery

app = Celery('reliable', broker='redis://localhost:6379/0', backend='redis://localhost:6379/0')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    # The lab's visibility timeout: 10 s instead of the default hour, so that the messages of a worker
    # that died come back while you wait. Longer than any message here stays unacknowledged in a worker
    # that lives (the gate below stays shut only for a moment); lesson 11 shows why it must be.
    broker_transport_options={'visibility_timeout': 10},
)
# The ledger of runs lives beside the results, in the course's Redis: lesson 14 moves only the broker.
runs = redis.Redis.from_url(app.conf.result_backend)


# Notes who runs it (the lab's victims) and counts its start, then waits at the gate until you open it
# (redis-cli set gate open; submit.py shuts it), so that a fault always finds it running, whatever the
# machine's speed; then counts its completion. Counted by task id (HINCRBY): a run counted twice is a run
# done twice.
@app.task(bind=True)
def work(self):
    runs.mset({'pid:pool-process': os.getpid(), 'pid:worker': os.getppid()})
    runs.hincrby('started', self.request.id, 1)
    while runs.get('gate') != b'open':
        time.sleep(0.05)
    runs.hincrby('completed', self.request.id, 1)
    return 'done'
