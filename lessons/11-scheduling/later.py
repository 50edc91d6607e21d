# -*- coding: utf-8 -*-
# Send tick('later') to run in N seconds:   python later.py 10
import sys

from timing import tick

seconds = int(sys.argv[1])
result = tick.apply_async(['later'], countdown=seconds)
print(f'tick(later) sent, due in {seconds} s')
