# -*- coding: utf-8 -*-
# An I/O-bound task for lesson 15's pools: it waits, as a task waits for another service's reply (here
# time.sleep stands in for that call: the course talks to nothing beyond loopback), then counts itself done.
import time

from perf import app, done  # noqa: F401  (perf's app; its count of finished tasks)


@app.task
def wait(ms=50):
    """Wait ms milliseconds, then count itself done (one INCR)."""
    time.sleep(ms / 1000)
    return done.incr('perf:done')
