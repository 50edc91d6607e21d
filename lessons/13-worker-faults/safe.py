# -*- coding: utf-8 -*-
# reliable.py's app, acknowledging each message only once its task has finished.
from reliable import app, work  # noqa: F401  (the same task)

app.conf.task_acks_late = True  # acknowledge after the task, not before it starts
app.conf.task_reject_on_worker_lost = True  # a task whose process died is put back in the queue
