# -*- coding: utf-8 -*-
# A chord: a group (the header), then one task (the body) called with all the header's results.
import time

import redis
from celery import chord

from flow import app, slow_add, xsum

workflow = chord([slow_add.s(1, 1, seconds=0), slow_add.s(2, 2, seconds=3), slow_add.s(3, 3, seconds=3)],
                 xsum.s())

if __name__ == '__main__':
    result = workflow.delay()
    # What the result backend keeps for the chord meanwhile, under the header's group id
    r = redis.Redis.from_url(app.conf.result_backend, decode_responses=True)
    prefix = f'celery-taskset-meta-{result.parent.id}'
    while r.zcard(f'{prefix}.j') < 1:  # until the first header task is done (the others take 3 s)
        time.sleep(0.05)
    print(f'{prefix}.*')
    print(f'  .s {r.type(prefix + ".s"):<7} the chord size: {r.get(prefix + ".s")}')
    print(f'  .j {r.type(prefix + ".j"):<7} header results in: {r.zcard(prefix + ".j")}')
    print(f'  .d {r.type(prefix + ".d"):<7} header tasks counted: {sorted(r.smembers(prefix + ".d"))}')
    print('result:', result.get(timeout=30))
    while r.exists(f'{prefix}.s'):  # the worker cleans up just after it has sent the body
        time.sleep(0.05)
    print(f'afterwards: {sorted(k.rsplit(".", 1)[1] for k in r.keys(prefix + ".*"))}, '
          f'.c = {r.get(prefix + ".c")!r}, expires in {round(r.ttl(prefix + ".c") / 60)} min')
