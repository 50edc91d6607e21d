# -*- coding: utf-8 -*-
# perf.py's tick on RQ: the same one INCR, a plain function that RQ imports by name in its work horse.
# Worker (RQ's own command):   rq worker --url redis://localhost:6379/0
# Send:                        Queue(connection=redis).enqueue(tick)
import os

import redis

import gate

URL = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')
done = redis.Redis.from_url(URL)  # the benchmark's count of finished tasks, as in perf.py


def tick():
    """One unit of work: count itself done (one INCR) and return the count."""
    return done.incr('perf:done')


hold = gate.hold  # the kill -9 count's task (section 8)
