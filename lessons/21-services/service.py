# -*- coding: utf-8 -*-
# Lesson 21's app, as its services run it. Where Redis is comes from the environment the unit gives it
# (CELERY_BROKER_URL, CELERY_RESULT_BACKEND: /etc/celery-lab/celery.env); the defaults below are the
# lesson's Redis, database 2, apart from the other lessons' queues.
import os
import time

import redis
from billiard.compat import mem_rss
from celery import Celery

app = Celery('service', broker='redis://localhost:6379/2', backend='redis://localhost:6379/2')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    # Lesson 13: acknowledge after the task; a task whose process died goes back to the queue.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # the worker holds no message it does not run
    # The longest a task may run: the unit's TimeoutStopSec must be longer, or a stop kills it.
    task_time_limit=20,
    # Longer than a message stays unacknowledged in a worker that lives (a task: at most 20 s); and a
    # worker looks for older ones every 5 s, not every 100 s (kombu 5.7's unacked_restore_* options).
    broker_transport_options={'visibility_timeout': 25, 'unacked_restore_interval': 5,
                              'unacked_restore_throttle': 1},
    beat_schedule={'tick': {'task': 'service.tick', 'schedule': 10.0}},
)
# The ledger of runs (lesson 13's): beside the results.
ledger = redis.Redis.from_url(app.conf.result_backend)


@app.task(bind=True)
def work(self, seconds):
    """Counts its start, works for SECONDS, counts its completion: a run counted twice ran twice."""
    ledger.hincrby('started', self.request.id, 1)
    time.sleep(seconds)
    ledger.hincrby('completed', self.request.id, 1)


HOARD = []  # a cache that never forgets: the leak


def keep(task, megabytes):
    """Counts the task's start, keeps MEGABYTES more in its process; says which process it is, and its
    size in MiB as the pool measures it for --max-memory-per-child (billiard's mem_rss: the peak resident
    size, on Linux)."""
    ledger.hincrby('hoard-started', task.request.id, 1)
    HOARD.append(b'x' * (megabytes << 20))
    return os.getpid(), round(mem_rss() / 1024)


@app.task(bind=True)
def hoard(self, megabytes):
    return keep(self, megabytes)


# Section 5: the same, but when its process dies it is sent again as a retry (Celery 5.7's
# retry_on_worker_lost): at most twice, a second apart, and then it fails instead of coming back forever.
@app.task(bind=True, retry_on_worker_lost=True, max_retries=2, default_retry_delay=1)
def hoard_retried(self, megabytes):
    return keep(self, megabytes)


@app.task
def tick():
    """Beat's task: counts how often it ran."""
    ledger.incr('ticks')
