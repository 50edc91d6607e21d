# -*- coding: utf-8 -*-
# Forget the counts so far, send N work(SECONDS) tasks and remember their ids, then wait until two have
# started (the lab's worker runs two at a time):   python submit.py 10 0.5
import sys
import time

from reliable import app, runs, work

n, seconds = int(sys.argv[1]), float(sys.argv[2])
runs.delete('submitted', 'started', 'completed')
for _ in range(n):
    runs.sadd('submitted', work.delay(seconds).id)

inspect = app.control.inspect(timeout=0.5, limit=1)  # the lab's one worker: its reply is enough


def running():
    """How many tasks the workers say they run (lesson 12's inspect active)."""
    return sum(len(tasks) for tasks in (inspect.active() or {}).values())


# Started: their first line has run (the PIDs to kill are noted) and the worker lists them as active. A pool
# process starts a task as it tells the worker it took it; the worker hears of it (and, acknowledging early,
# acknowledges it) a moment later — a kill in between would catch a task that is not acknowledged yet.
while runs.hlen('started') < min(n, 2) or running() < min(n, 2):
    time.sleep(0.01)
print(f'{n} tasks submitted, {seconds:g} s each; two have started')
