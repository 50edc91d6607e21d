# -*- coding: utf-8 -*-
# Lesson 15's app: the smallest task there is, so that what the ladder measures is Celery itself.
import redis
from celery import Celery

app = Celery('perf', broker='redis://localhost:6379/0', backend='redis://localhost:6379/0')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
)
# The benchmark's own count of finished tasks, for the bursts whose results nobody stores.
done = redis.Redis.from_url(app.conf.broker_url)


@app.task
def tick():
    """One unit of work: count itself done (one INCR) and return the count."""
    return done.incr('perf:done')
