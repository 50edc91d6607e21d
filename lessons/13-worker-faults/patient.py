# -*- coding: utf-8 -*-
# safe.py's app, whose cold shutdown first gives the running tasks time to finish.
from safe import app, work  # noqa: F401  (the same task)

# Seconds: longer than the running tasks need (here: enough for you to open the gate); 0, the default, is no wait.
app.conf.worker_soft_shutdown_timeout = 10
