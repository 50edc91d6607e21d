# -*- coding: utf-8 -*-
# Open the gate and forget the counts so far, then send N tasks (of no work at all, with the gate open) as
# fast as one client can, until Redis refuses one (then stop: the client knows, and the refused task is not
# counted as submitted):   python flood.py 2000
import sys

from kombu.exceptions import OperationalError

from reliable import runs, work

n = int(sys.argv[1])
runs.set('gate', 'open')
runs.delete('submitted', 'started', 'completed')
for sent in range(n):
    try:
        runs.sadd('submitted', work.delay().id)
    except OperationalError as exc:
        print(f'{sent} of {n} tasks sent; then the broker refused one: {exc}')
        break
else:
    print(f'{n} of {n} tasks sent')
