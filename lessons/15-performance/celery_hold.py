# -*- coding: utf-8 -*-
# perf.py's app, with its defaults, and the kill -9 count's task (section 8):   celery -A celery_hold worker
import gate
from perf import app, tick  # noqa: F401  (the same app and task)

hold = app.task(name='hold')(gate.hold)
