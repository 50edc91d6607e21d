# -*- coding: utf-8 -*-
# A group runs tasks side by side; chunks and starmap split one long list of calls.
from celery import group

from flow import add

workflow = group(add.s(i, i) for i in range(4))

if __name__ == '__main__':
    print('group:', workflow.delay().get(timeout=10))
    pairs = [(i, i) for i in range(6)]
    print('chunks:', add.chunks(pairs, 2).delay().get(timeout=10))  # 3 tasks of 2 calls each
    print('starmap:', add.starmap(pairs).delay().get(timeout=10))  # 1 task of 6 calls
