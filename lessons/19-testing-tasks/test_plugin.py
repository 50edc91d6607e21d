# -*- coding: utf-8 -*-
# Section 5: Celery's pytest plugin. celery_app is a new app of the plugin's own, on the in-memory
# transport (memory:// broker, cache+memory:// results: nothing leaves this process);
# celery_worker runs a worker for it in a thread, started and stopped around each test.
import pytest
from celery.exceptions import NotRegistered


@pytest.fixture
def mul(celery_app):
    @celery_app.task
    def mul(x, y):
        return x * y
    return mul


def test_mul(mul, celery_worker):  # mul first: a worker knows the tasks defined before it starts
    assert mul.delay(4, 4).get(timeout=10) == 16


def test_a_task_defined_after_the_worker_starts(celery_app, celery_worker):
    @celery_app.task
    def late():
        return 'too late'
    with pytest.raises(NotRegistered):
        late.delay().get(timeout=10)
