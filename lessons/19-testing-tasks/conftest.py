# -*- coding: utf-8 -*-
# What every test file of this folder may use.
import pytest
from celery.contrib.testing.worker import start_worker

from app import app

# Celery's pytest plugin (section 5): celery_app, celery_worker, celery_config, ... Celery 5 does not
# load it by itself: name it here, in the folder's top conftest.py.
pytest_plugins = ('celery.contrib.pytest',)


@pytest.fixture(scope='module')
def worker():
    """A real worker for the article's app, in a thread of pytest, on the lab's Redis (section 4).
    One per test file: each start and stop costs about a second. Not one per run: the workers that
    Celery starts in a thread share one stop flag (celery.worker.state), so when the plugin's worker
    of section 5 stops, a worker still running would stop with it."""
    import mailing  # noqa: F401  (its task, known to the worker)
    with start_worker(app, perform_ping_check=False, loglevel='CRITICAL') as started:  # errors reach get()
        yield started
