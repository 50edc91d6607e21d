# -*- coding: utf-8 -*-
# Lesson 12's app: tasks to watch. gate() waits until its gate opens, so that it can be watched running.
import redis
from celery import Celery

app = Celery('watched', broker='redis://localhost:6379/0', backend='redis://localhost:6379/0')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    result_extended=True,  # results keep the task's arguments (the checker reads them)
    task_send_sent_event=True,  # the client announces each task it sends (a 'task-sent' event)
)


@app.task
def add(x, y):
    return x + y


# Runs until someone opens the gate:  redis-cli lpush gate:NAME open   (one push lets one task through)
@app.task
def gate(name):
    r = redis.Redis.from_url(app.conf.broker_url)
    for _ in range(600):  # ten minutes at most
        if r.blpop([f'gate:{name}'], timeout=1):  # short waits: redis-py gives up on a reply after 5 s
            return 'opened'
    return 'timed out'
