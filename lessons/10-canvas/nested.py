# -*- coding: utf-8 -*-
# A task that waits for another task is refused; a chain does the same without waiting.
from flow import add, double_of_sum, mul

refused = double_of_sum.delay(2, 3).get(timeout=10, propagate=False)
print('double_of_sum(2, 3):', repr(refused).split('\\n')[0])
print('add.s(2, 3) | mul.s(2):', (add.s(2, 3) | mul.s(2)).delay().get(timeout=10))
