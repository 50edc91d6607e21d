# -*- coding: utf-8 -*-
# Count what became of the submitted tasks:   python count.py          once every task has ended
#                                             python count.py --now    as things stand
import sys
import time

import redis

from reliable import app, runs

broker = redis.Redis.from_url(app.conf.broker_url)  # where the queue and the unacknowledged messages are

inspect = app.control.inspect(timeout=0.5)


def snapshot():
    return (broker.llen('celery'), broker.hlen('unacked'), runs.hgetall('started'), runs.hgetall('completed'))


def settled():
    """Nothing queued or unacknowledged in Redis, and no worker running a task (as it says) meanwhile."""
    before = snapshot()
    if before[0] or before[1]:
        return False
    running = any((inspect.active() or {}).values())
    return not running and snapshot() == before


if '--now' not in sys.argv:
    if runs.get('gate') != b'open':  # the tasks at it would never end
        sys.exit('count.py: the gate is shut, so the tasks at it never end: open it first, with '
                 'redis-cli set gate open (lesson 13, section 1)')
    deadline = time.monotonic() + 120
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.2)
queued, unacked, started, completed = snapshot()
submitted = runs.smembers('submitted')
lost = 'lost' if '--now' not in sys.argv else 'not yet'  # once every task has ended, what did not complete is lost
print(f'{"submitted":>9} {"completed":>9} {lost:>7} {"run twice":>9} {"started twice":>13} '
      f'{"queued":>6} {"unacked":>7}')
print(f'{len(submitted):>9} {len(submitted & completed.keys()):>9} {len(submitted - completed.keys()):>7} '
      f'{sum(int(n) > 1 for n in completed.values()):>9} {sum(int(n) > 1 for n in started.values()):>13} '
      f'{queued:>6} {unacked:>7}')
