# -*- coding: utf-8 -*-
# Forget the counts so far, send N work(SECONDS) tasks and remember their ids, then wait until two have
# started (the lab's worker runs two at a time):   python submit.py 10 0.5
import sys
import time

from reliable import runs, work

n, seconds = int(sys.argv[1]), float(sys.argv[2])
runs.delete('submitted', 'started', 'completed')
for _ in range(n):
    runs.sadd('submitted', work.delay(seconds).id)
while runs.hlen('started') < min(n, 2):
    time.sleep(0.01)
print(f'{n} tasks submitted, {seconds:g} s each; two have started')
