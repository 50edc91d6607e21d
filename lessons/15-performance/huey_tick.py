# -*- coding: utf-8 -*-
# perf.py's tick on Huey, with Redis for its queue and its results.
# Worker (Huey's own command):   huey_consumer huey_tick.huey
# Send:                          tick()   (a Result; result.get(blocking=True) to wait for it)
import os

import redis
from huey import RedisHuey

import gate

URL = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')
huey = RedisHuey('perf', url=URL)
done = redis.Redis.from_url(URL)  # the benchmark's count of finished tasks, as in perf.py


@huey.task()
def tick():
    """One unit of work: count itself done (one INCR) and return the count."""
    return done.incr('perf:done')


hold = huey.task()(gate.hold)  # the kill -9 count's task (section 8)
