# -*- coding: utf-8 -*-
# Send N hoard() tasks of M MiB each, one after the other, and say which pool process ran each and how
# big it was afterwards:   python hoard.py 5 60
import sys

from service import hoard

n, megabytes = int(sys.argv[1]), int(sys.argv[2])
processes = {}  # PID -> 1, 2, ... in the order they came
for i in range(1, n + 1):
    pid, size = hoard.delay(megabytes).get(timeout=60)
    processes.setdefault(pid, len(processes) + 1)
    print(f'task {i}: pool process {processes[pid]}, {size} MiB')
print('the pool process was replaced' if len(processes) > 1 else 'one pool process ran them all')
