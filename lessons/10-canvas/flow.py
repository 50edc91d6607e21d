# -*- coding: utf-8 -*-
# Lesson 10's app: small tasks to combine into workflows (Celery's canvas).
import time

from celery import Celery

app = Celery('flow', broker='redis://localhost:6379/0', backend='redis://localhost:6379/0')
app.conf.update(
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    result_extended=True,  # results keep the task's name and arguments (the checker reads them)
)


@app.task
def add(x, y):
    return x + y


@app.task
def mul(x, y):
    return x * y


@app.task
def xsum(numbers):
    return sum(numbers)


@app.task
def slow_add(x, y, seconds=3):
    time.sleep(seconds)  # long enough to look at a chord in Redis while it waits
    return x + y


@app.task
def fail(x):
    raise ValueError(f'cannot handle {x}')


# An error callback (link_error): the worker calls it with the failed task's request, the
# exception and the traceback, when a task it is linked to fails.
@app.task
def report(request, exc, traceback):
    print(f'report: task {request.id} failed: {exc!r}')


# What not to do: wait for another task inside a task.
@app.task
def double_of_sum(x, y):
    return add.delay(x, y).get(timeout=10) * 2
