# -*- coding: utf-8 -*-
# safe.py's app, whose cold shutdown first gives the running tasks time to finish.
from safe import app, work  # noqa: F401  (the same task)

app.conf.worker_soft_shutdown_timeout = 3  # seconds, longer than the lab's tasks; 0 (the default) is no wait
