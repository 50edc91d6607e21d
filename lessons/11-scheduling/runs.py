# -*- coding: utf-8 -*-
# Count the runs of tick(LABEL), by who sent them.
#   python runs.py later            wait until runs stop coming (3 s without one), then count
#   python runs.py interval --next 6     forget the runs so far, wait for the next 6, count them
import argparse
import time
from collections import Counter

import redis

from timing import app

parser = argparse.ArgumentParser()
parser.add_argument('label')
parser.add_argument('--next', type=int, metavar='N')
args = parser.parse_args()
r = redis.Redis.from_url(app.conf.broker_url, decode_responses=True)
key = f'runs:{args.label}'
deadline = time.monotonic() + 60
if args.next:
    r.delete(key)
    while r.llen(key) < args.next and time.monotonic() < deadline:
        time.sleep(0.1)
    runs = r.lrange(key, 0, args.next - 1)
else:
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if r.llen(key) != seen:
            seen, quiet_since = r.llen(key), time.monotonic()
        elif seen > 0 and time.monotonic() - quiet_since > 3:
            break
        time.sleep(0.1)
    runs = r.lrange(key, 0, -1)
senders = Counter(run.split()[0] for run in runs)
print(f'{len(runs)} run(s) of tick({args.label}):',
      ', '.join(f'{n} sent by {sender}' for sender, n in sorted(senders.items(), key=lambda s: -s[1])))
