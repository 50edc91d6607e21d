# -*- coding: utf-8 -*-
# Wait until every task submit.py sent has completed (at most 90 s: longer than the visibility timeout,
# after which a dead worker's messages come back), then count what became of them:
#   python count.py
import time

from service import ledger

submitted = ledger.smembers('submitted')
deadline = time.monotonic() + 90
while time.monotonic() < deadline and not submitted <= set(ledger.hkeys('completed')):
    time.sleep(0.2)
started, completed = ledger.hgetall('started'), ledger.hgetall('completed')
print(f'{"submitted":>9} {"completed":>9} {"lost":>4} {"started twice":>13} {"run twice":>9}')
print(f'{len(submitted):>9} {len(submitted & completed.keys()):>9} {len(submitted - completed.keys()):>4} '
      f'{sum(int(n) > 1 for n in started.values()):>13} {sum(int(n) > 1 for n in completed.values()):>9}')
