# -*- coding: utf-8 -*-
# Lesson 09's app: tasks that succeed, fail, retry, run out of time and report progress.
import time

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

app = Celery('states', broker='redis://localhost:6379/0', backend='redis://localhost:6379/0')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    result_extended=True,     # a result also keeps the task's name, args and retries
    task_track_started=True,  # record STARTED when a worker begins a task (off by default)
)


@app.task
def add(x, y):
    return x + y


@app.task
def slow(seconds):
    time.sleep(seconds)
    return seconds


@app.task
def divide(x, y):
    return x / y  # divide(1, 0) raises ZeroDivisionError: the task fails


# bind=True: the task gets itself as `self`; self.request describes this run, and
# self.request.retries counts the runs before it. self.retry() sends the task again.
@app.task(bind=True, max_retries=3)
def flaky(self, failures):
    if self.request.retries < failures:
        raise self.retry(exc=ConnectionError(f'try {self.request.retries + 1} failed'), countdown=1)
    return f'succeeded after {failures} failure(s)'


# autoretry_for: Celery retries by itself on these exceptions. retry_backoff waits 1 s, 2 s,
# 4 s...; retry_jitter=False keeps those exact (by default each wait is a random part of it).
@app.task(autoretry_for=(ConnectionError,), max_retries=3, retry_backoff=True, retry_jitter=False)
def fetch(url):
    raise ConnectionError(f'{url} is unreachable')


# soft_time_limit: past it, SoftTimeLimitExceeded is raised inside the task, which can clean up.
@app.task(soft_time_limit=1)
def tidy(seconds):
    try:
        time.sleep(seconds)
    except SoftTimeLimitExceeded:
        return 'stopped at the soft time limit, cleaned up'
    return 'finished in time'


# time_limit: past it, the worker ends the process running the task (SIGTERM, SIGKILL), whatever it does.
@app.task(time_limit=2)
def stuck(seconds):
    time.sleep(seconds)
    return 'finished in time'


# update_state: a state of your own, with details, while the task runs.
@app.task(bind=True)
def count(self, n):
    for done in range(n):
        self.update_state(state='PROGRESS', meta={'done': done, 'total': n})
        time.sleep(0.5)
    return {'done': n, 'total': n}


# ignore_result: no result is stored, ever: the caller cannot know how it went.
@app.task(ignore_result=True)
def note(text):
    return text.upper()
