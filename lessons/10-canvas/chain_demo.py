# -*- coding: utf-8 -*-
# A chain: each task's result becomes the first argument of the next.
from flow import add, mul

workflow = add.s(2, 2) | mul.s(8) | add.s(10)  # (2 + 2) * 8 + 10

if __name__ == '__main__':
    result = workflow.delay()
    print('result:', result.get(timeout=10))
    steps = [result.parent.parent, result.parent, result]  # each result knows the one before it
    print('each step:', [step.get(timeout=10) for step in steps])
