# -*- coding: utf-8 -*-
# Forget the counts so far, send N work() tasks of S seconds each, and wait until the worker runs two of
# them (it runs two at a time):   python submit.py 4 8
import sys
import time

from service import ledger, work

n, seconds = int(sys.argv[1]), float(sys.argv[2])
ledger.delete('submitted', 'started', 'completed')
for _ in range(n):
    ledger.sadd('submitted', work.delay(seconds).id)
deadline = time.monotonic() + 60
while ledger.hlen('started') < min(n, 2):
    if time.monotonic() > deadline:
        sys.exit('submit.py: no worker has started a task in 60 s: is it running? (lesson 21, section 3)')
    time.sleep(0.05)
print(f'{n} tasks submitted; two are running')
