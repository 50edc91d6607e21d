# -*- coding: utf-8 -*-
import time

from server import sendmail, add

result = add.delay(4, 4)
print('task done: {0}'.format(result.get(timeout=10)))

answer = sendmail.delay(dict(to='learner@example.com'))
# The article's way: ask ready() every 0.5 s.
while not answer.ready():
    print('wait for ready')
    time.sleep(0.5)
print('task done: {0}'.format(answer.get(timeout=10)))
