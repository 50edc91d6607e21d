# -*- coding: utf-8 -*-
# Send the article's mail through the web page, as its form does:   python send.py ADDRESS
import sys

import webclient

status, answer = webclient.post('/mail', to=sys.argv[1])
print(f"HTTP {status}: task {answer['id']}")
seen, states = None, []
for task in webclient.states(answer['id']):
    shown = {k: v for k, v in task.items() if k != 'id'}
    if shown != seen:  # each change once
        print(shown)
        seen = shown
    if task['state'] not in states:
        states.append(task['state'])
print('states seen:', ' -> '.join(states))
