# -*- coding: utf-8 -*-
# Send one task of states.py and print its id — without waiting for the result.
#   python send.py slow 60
import sys

import states

name, *args = sys.argv[1:]
print(getattr(states, name).delay(*[int(a) for a in args]).id)
