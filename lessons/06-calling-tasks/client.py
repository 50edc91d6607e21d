# -*- coding: utf-8 -*-
# The article's client.py, fixed: the second print shows answer.get(), not result.get(),
# and get(timeout=...) replaces the sleep(1) polling loops.
from server import sendmail, add

result = add.delay(4, 4)  # an AsyncResult: the task is queued, not run yet
print(result.id)
print('task done: {0}'.format(result.get(timeout=10)))

answer = sendmail.delay(dict(to='learner@example.com'))
print('task done: {0}'.format(answer.get(timeout=10)))
