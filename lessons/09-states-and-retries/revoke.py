# -*- coding: utf-8 -*-
# Revoke a task once it runs, killing the process that runs it (terminate=True).
#   python revoke.py TASK_ID
import sys
import time

from states import app



def wait(until, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit(f'revoke.py: {what} within {timeout} s (is the worker running?)')
        time.sleep(0.1)


if len(sys.argv) != 2:
    raise SystemExit('usage: python revoke.py TASK_ID   (python send.py slow 60 prints one)')
result = app.AsyncResult(sys.argv[1])
wait(lambda: result.state == 'STARTED', 'the task did not start')
print(f'{result.id}: {result.state}')
app.control.revoke(result.id, terminate=True)
print('revoke(terminate=True) sent to every worker')
wait(lambda: result.state != 'STARTED', 'the task still runs')
print(f'{result.id}: {result.state}')
