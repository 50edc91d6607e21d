# -*- coding: utf-8 -*-
# Shut the gate and forget the counts so far, send N work() tasks and remember their ids, then wait until
# two hold at the gate (the lab's worker runs two at a time) and the worker has prefetched the others it may
# take:   python submit.py 10
import sys
import time

from reliable import app, runs, work

n = int(sys.argv[1])
runs.delete('gate', 'submitted', 'started', 'completed')
for _ in range(n):
    runs.sadd('submitted', work.delay().id)

inspect = app.control.inspect(timeout=0.5, limit=1)  # the lab's one worker: its reply is enough


def running():
    """How many tasks the workers say they run (lesson 12's inspect active)."""
    return sum(len(tasks) for tasks in (inspect.active() or {}).values())


def in_the_worker():
    """True once the worker has taken from the queue all it may: the queue is empty, or the worker holds as
    many unacknowledged messages as it is allowed (-c 2 × worker_prefetch_multiplier; lesson 08's keys)."""
    with app.connection_for_read() as connection:
        broker = connection.default_channel.client
        return broker.llen('celery') == 0 or broker.hlen('unacked') >= 2 * app.conf.worker_prefetch_multiplier


# At the gate: their first lines have run (the PIDs to kill are noted), and the worker lists them as active.
# A pool process starts a task as it tells the worker it took it; the worker hears of it (and, acknowledging
# early, acknowledges it) a moment later — a kill in between would catch a task that is not acknowledged yet.
# And the others prefetched: on a slow machine the worker may still be taking them one by one. The gate
# keeps all of it so until you open it.
while runs.hlen('started') < min(n, 2) or running() < min(n, 2) or not in_the_worker():
    time.sleep(0.01)
print(f'{n} tasks submitted; two hold at the gate')
