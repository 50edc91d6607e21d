# -*- coding: utf-8 -*-
# One task, sent and waited for: what section 7 watches with redis-cli monitor.
from inside import add

result = add.delay(4, 4)
print(result.get(timeout=10))
