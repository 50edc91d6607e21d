# -*- coding: utf-8 -*-
# Send one task of states.py and print every state the worker reports for it, as it comes.
#   python watch.py divide 1 0       python watch.py flaky 2       python watch.py note hello
import ast
import sys

import redis
from celery import states as celery_states, uuid

import states


def argument(text):
    """An argument as Python writes it (4, 'a', [1, 2], {1, 2}); anything else is a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def show(meta):
    """Called for each state the worker publishes (the result's pub/sub channel, lesson 08)."""
    status, result = meta['status'], meta['result']
    if status == 'STARTED':
        result = f"on {result['hostname']}"
    print(f'  {status:<9}{result!r}' if isinstance(result, BaseException) else f'  {status:<9}{result}')


name, *args = sys.argv[1:] or ['']
task = states.app.tasks.get(f'states.{name}')
if task is None:
    raise SystemExit(f'usage: python watch.py TASK ARG...  (TASK: one of states.py\'s tasks: '
                     f'{", ".join(sorted(t[7:] for t in states.app.tasks if t.startswith("states.")))})')
# Listen on the result's pub/sub channel (lesson 08) *before* sending, under an id chosen here: a fast task
# can publish every state before the next line of this script runs.
task_id = uuid()
channel = redis.Redis.from_url(states.app.conf.result_backend).pubsub(ignore_subscribe_messages=True)
channel.subscribe(f'celery-task-meta-{task_id}')
result = task.apply_async(list(map(argument, args)), task_id=task_id)
print(f'{name}{tuple(map(argument, args))} sent as {result.id}')
if not task.ignore_result:  # a task that stores no result publishes no state either
    for message in channel.listen():
        meta = states.app.backend.decode_result(message['data'])  # JSON, an exception made Python again
        show(meta)
        if meta['status'] in celery_states.READY_STATES:
            break
value = result.get(timeout=60, propagate=False)
print(f'get() returned {value!r}; state {result.state}')
if result.traceback:  # a failed task: the worker stored its traceback too
    print(f'traceback stored ({len(result.traceback.splitlines())} lines), ending: '
          f'{result.traceback.splitlines()[-1]}')
