# -*- coding: utf-8 -*-
# Send one hoard() task of M MiB, more than the worker's unit lets it have, wait 20 s at most for it to end,
# say how often it started, and revoke it if it is still coming back:   python poison.py 400
# python poison.py 400 --retried: the same with hoard_retried().
import sys
import time

from service import hoard, hoard_retried, ledger

megabytes = int(sys.argv[1])
task = hoard_retried if '--retried' in sys.argv[2:] else hoard
result = task.delay(megabytes)
start = time.monotonic()
while time.monotonic() - start < 20 and not result.ready():
    time.sleep(0.5)
starts = int(ledger.hget('hoard-started', result.id) or 0)
print(f'{task.name}({megabytes}): started {starts} times in {time.monotonic() - start:.0f} s')
if result.ready():
    print(f'{result.state}: {result.result!r}')
else:
    result.revoke()  # the workers drop it when it comes back (lesson 13)
    print('still coming back: revoked')
