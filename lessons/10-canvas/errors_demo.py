# -*- coding: utf-8 -*-
# An error in the middle of a chain: the chain stops there, and link_error reports it.
from flow import add, fail, report

workflow = add.s(1, 1) | fail.s() | add.s(10)

if __name__ == '__main__':
    result = workflow.apply_async(link_error=report.s())
    print('get():', repr(result.get(timeout=10, propagate=False)))
    for number, step in enumerate([result.parent.parent, result.parent, result], 1):
        value = step.get(timeout=10, propagate=False)
        print(f'  step {number}: {step.state:<8} {value!r}')
