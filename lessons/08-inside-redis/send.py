# -*- coding: utf-8 -*-
# Send one task and print its id — without waiting for the result.
#   python send.py add 4 4      python send.py slow 5
import sys

from inside import add, slow

name, *args = sys.argv[1:] or ['add', '4', '4']
task = {'add': add, 'slow': slow}[name]
result = task.delay(*[int(a) for a in args])
print(result.id)
