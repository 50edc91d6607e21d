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
    # that lives (its wait behind other tasks included: about 6 s); lesson 11 shows why it must be.
    broker_transport_options={'visibility_timeout': 10},
)
# The ledger of runs lives beside the results, in the course's Redis: section 8 moves only the broker.
runs = redis.Redis.from_url(app.conf.result_backend)


# Notes who runs it (the lab's victims), and counts its starts and completions by task id
# (HINCRBY: a run counted twice is a run done twice).
@app.task(bind=True)
def work(self, seconds):
    runs.mset({'pid:pool-process': os.getpid(), 'pid:worker': os.getppid()})
    runs.hincrby('started', self.request.id, 1)
    time.sleep(seconds)
    runs.hincrby('completed', self.request.id, 1)
    return 'done'
