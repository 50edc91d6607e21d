"""A pytest plugin for lesson 19's stage check, loaded only when the course's Redis is not on 6379 (the course's
own tests run it on a free port): before any test, the lesson's app (app.py, imported by its conftest.py) is
pointed at that port, as lessonapp.lesson_app does in-process. Celery's CELERY_BROKER_URL cannot do it: it would
point every app of the run there, the pytest plugin's in-memory test app too.
"""

from __future__ import annotations

import sys

from courselab import lessonapp, paths


def pytest_sessionstart(session) -> None:
    app = getattr(sys.modules.get("app"), "app", None)
    if app is None:
        return
    port = paths.redis_port()
    app.conf.broker_url = lessonapp.with_port(app.conf.broker_url, port)
    app.conf.result_backend = lessonapp.with_port(app.conf.result_backend, port)
