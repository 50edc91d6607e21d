# -*- coding: utf-8 -*-
# Sign N users up, one after the other, and count their welcome mails:   python race.py PATH N
import collections
import sys

import webclient

path, n = sys.argv[1], int(sys.argv[2])
ids = [webclient.post(path, email=f'user{i}@example.com')[1]['id'] for i in range(n)]
ends = [list(webclient.states(task_id))[-1] for task_id in ids]
count = collections.Counter(task['state'] for task in ends)
print(f"POST {path} x{n}: {count['SUCCESS']} welcome mails sent, {count['FAILURE']} failed")
errors = collections.Counter(task['error'] for task in ends if 'error' in task)
for error, times in errors.items():
    print(f'  {times} x {error}')
