# -*- coding: utf-8 -*-
# Send N gate('a') tasks and print their ids, one per line:   python gates.py 3
import sys

from watched import gate

for _ in range(int(sys.argv[1])):
    print(gate.delay('a').id)
