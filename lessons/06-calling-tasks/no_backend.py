# -*- coding: utf-8 -*-
# Lesson 06, section 5: server.py's app without its backend= argument, sending one task.
from celery import Celery

app = Celery('server', broker='redis://localhost:6379/0')


@app.task
def add(x, y):
    return x + y


result = add.delay(4, 4)  # run as a script, the task is named server.add: lesson 05's worker runs it
print('sent', add.name, result.id)
print(result.get(timeout=10))  # but where would the result be?
