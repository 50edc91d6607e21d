# -*- coding: utf-8 -*-
# What became of the tasks load.py sent, once nothing is left to run: counted as the admin, from the ledger
# (port 6379) and from the replicated Redis's current primary, found through the Sentinels:
#   python tally.py
import time
from collections import Counter

import redis
from failover import SENTINELS  # importing failover.py runs lan.py's guard first: on a lesson host only
from lan import REDIS_HOST, login
from redis.sentinel import Sentinel

admin = {**login("admin"), "decode_responses": True}
ledger = redis.Redis(host=REDIS_HOST, port=6379, **admin)
sentinel = Sentinel(SENTINELS, sentinel_kwargs=admin, **admin)
primary = sentinel.master_for("lab")


# Wait until nothing is left to run: the queue empty, no message taken and not acknowledged, and the ledger no
# longer growing.
before = -1
for _ in range(90):
    now = ledger.llen("celery:lab:ran")
    if primary.llen("celery:celery") == 0 and primary.hlen("celery:unacked") == 0 and now == before:
        break
    before = now
    time.sleep(1)
sent = ledger.smembers("celery:lab:sent")
runs = Counter(ledger.lrange("celery:lab:ran", 0, -1))
host, port = sentinel.discover_master("lab")
print(f"{'sent':>4} {'completed':>9} {'lost':>4} {'run twice':>9} {'queued':>6} {'unacked':>7}  primary")
print(f"{len(sent):>4} {sum(1 for t in sent if runs[t]):>9} {sum(1 for t in sent if not runs[t]):>4} "
      f"{sum(1 for t in sent if runs[t] > 1):>9} {primary.llen('celery:celery'):>6} "
      f"{primary.hlen('celery:unacked'):>7}  {host}:{port}")
