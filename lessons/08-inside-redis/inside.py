# -*- coding: utf-8 -*-
# Lesson 08's app: two tasks, broker and results in the same Redis database (0), so that one
# `redis-cli keys '*'` shows everything Celery keeps there.
import time

from celery import Celery

app = Celery('inside', broker='redis://localhost:6379/0', backend='redis://localhost:6379/0')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    result_extended=True,  # the result also keeps the task's name, args, kwargs and worker
)


@app.task
def add(x, y):
    return x + y


# acks_late: the message is acknowledged when the task has finished, not when it starts (the
# default), so while it runs it stays in Redis's 'unacked' hash, where peek.py --unacked finds it.
@app.task(acks_late=True)
def slow(seconds):
    time.sleep(seconds)  # long enough to look at a task while it runs
    return seconds
