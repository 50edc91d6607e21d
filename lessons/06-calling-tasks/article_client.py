# -*- coding: utf-8 -*-
# The article's client.py, unchanged but for the e-mail address. It has a bug: the last line
# prints result.get() (the add task, 8) where it means answer.get() (the sendmail task).
import time

from server import sendmail, add

# Calling a task returns an AsyncResult: check its state, wait for it, or get its return value.
# ready() tells whether the task has been processed.
result = add.delay(4, 4)  # not add(4, 4): delay() sends the task to the worker
while not result.ready():
    time.sleep(1)
# print(result.backend)
print('task done: {0}'.format(result.get()))

answer = sendmail.delay(dict(to='learner@example.com'))
while not answer.ready():
    time.sleep(1)
print('task done: {0}'.format(result.get()))
