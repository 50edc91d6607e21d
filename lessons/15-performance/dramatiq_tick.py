# -*- coding: utf-8 -*-
# perf.py's tick on Dramatiq: a broker on Redis, and Dramatiq's Results middleware so that a caller can wait.
# Worker (Dramatiq's own command):   dramatiq dramatiq_tick
# Send:                              tick.send()   (and message.get_result(block=True) to wait for it)
import os

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

import gate

URL = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')
broker = RedisBroker(url=URL)
broker.add_middleware(Results(backend=RedisBackend(url=URL)))
dramatiq.set_broker(broker)
done = redis.Redis.from_url(URL)  # the benchmark's count of finished tasks, as in perf.py


@dramatiq.actor(store_results=True)
def tick():
    """One unit of work: count itself done (one INCR) and return the count."""
    return done.incr('perf:done')


hold = dramatiq.actor(gate.hold)  # the kill -9 count's task (section 8)
