# -*- coding: utf-8 -*-
# Send N tasks, one every 20 ms, noting each id in the ledger once Redis has taken it; a send that still
# fails after its retries is counted as refused (the client knows):   python load.py 300
import sys
import time

from celery.exceptions import CeleryError
from failover import ledger, work
from kombu.exceptions import OperationalError

n = int(sys.argv[1])
ledger.delete("celery:lab:sent", "celery:lab:ran")
refused = 0
for i in range(1, n + 1):
    try:
        ledger.sadd("celery:lab:sent", work.delay(i).id)
    except (OperationalError, CeleryError) as exc:
        refused += 1
        print(f"task {i} refused: {exc}")
    if i % 100 == 0:
        print(f"{i} of {n} sent" + (f", {refused} refused" if i == n else ""), flush=True)
    time.sleep(0.02)
