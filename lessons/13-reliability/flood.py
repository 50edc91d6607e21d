# -*- coding: utf-8 -*-
# Forget the counts so far and send N tasks of no work at all, as fast as one client can, until Redis
# refuses one (then stop: the client knows, and the refused task is not counted as submitted):
#   python flood.py 2000
import sys

from kombu.exceptions import OperationalError

from reliable import runs, work

n = int(sys.argv[1])
runs.delete('submitted', 'started', 'completed')
for sent in range(n):
    try:
        runs.sadd('submitted', work.delay(0).id)
    except OperationalError as exc:
        print(f'{sent} of {n} tasks sent; then the broker refused one: {exc}')
        break
else:
    print(f'{n} of {n} tasks sent')
