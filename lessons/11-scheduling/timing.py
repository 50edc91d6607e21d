# -*- coding: utf-8 -*-
# Lesson 11's app: a task run later (countdown, eta) and on a schedule (celery beat).
import time

import redis
from celery import Celery
from celery.schedules import crontab

app = Celery('timing', broker='redis://localhost:6379/0', backend='redis://localhost:6379/0')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    result_extended=True,  # results keep the task's arguments (the checker reads them)
    timezone='Asia/Shanghai',  # the clock crontab entries follow (the default is UTC)
    beat_schedule={
        'tick-every-2-seconds': {'task': 'timing.tick', 'schedule': 2.0, 'args': ['interval']},
        'tick-every-minute': {'task': 'timing.tick', 'schedule': crontab(), 'args': ['crontab']},
    },
)


# Each run leaves a line in the Redis list runs:<label>: who sent the task, and when it ran.
@app.task(bind=True)
def tick(self, label):
    runs = redis.Redis.from_url(app.conf.broker_url)
    runs.rpush(f'runs:{label}', f'{self.request.origin} {time.strftime("%H:%M:%S")}')
    return label
