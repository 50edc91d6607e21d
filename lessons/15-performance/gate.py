# -*- coding: utf-8 -*-
# The kill -9 count's task (section 8), for Celery and every peer alike: count itself started, wait at the
# gate (until the key `gate` says open), count itself completed. Each system wraps it in its own decorator.
import os
import time

import redis

URL = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')
counts = redis.Redis.from_url(URL)


def hold():
    """Started, held at the gate, completed: a task a kill can catch in the middle."""
    counts.incr('hold:started')
    while counts.get('gate') != b'open':
        time.sleep(0.01)
    return counts.incr('hold:completed')
