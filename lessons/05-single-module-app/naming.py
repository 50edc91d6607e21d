# -*- coding: utf-8 -*-
# Which name does a task get? (lesson 05, section 1)
from celery import Celery

app = Celery('whatever')  # not this file's name


@app.task
def add(x, y):
    return x + y


print(add.name)
