"""What lesson 09 says Celery does, counted on a real worker and a real Redis (no clock is asserted).

One worker with three processes runs lesson 09's app for the whole module, so that a retried task,
a killed one and a revoked one can run side by side.
"""

from __future__ import annotations

import json
import re
import threading

import pytest
from conftest import lesson_lab
from courselab import paths
from courselab.services import Worker, alive
from courselab.terminals import poll

LESSON = paths.lesson_dir("09")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Lesson 09's worker (-c 3) on a Redis of its own, for the whole module: (app, worker, redis client)."""
    with lesson_lab(tmp_path_factory.mktemp("redis"), "09", "states") as (app, services, r):
        worker = services.add(Worker(LESSON, "states", extra=("--without-mingle", "--without-gossip", "-c", "3")))
        yield app, worker, r


def send(app, name: str, *args, on_state=None, task_id: str | None = None):
    """Send a task as watch.py does: its result's pub/sub channel subscribed first (under an id chosen here,
    or given), so that no state passes unseen; then each state as published, until a final one. (result, states)"""
    import redis
    from celery import states, uuid

    task_id = task_id or uuid()
    channel = redis.Redis.from_url(app.conf.result_backend).pubsub(ignore_subscribe_messages=True)
    channel.subscribe(f"celery-task-meta-{task_id}")
    result = app.tasks[name].apply_async(args, task_id=task_id)
    seen = []
    for message in channel.listen():
        seen.append(app.backend.decode_result(message["data"]))
        if on_state:
            on_state(seen[-1])
        if seen[-1]["status"] in states.READY_STATES:
            break
    channel.close()
    return result, seen


def log_lines(worker: Worker, task_id: str, needle: str) -> list[str]:
    return [line for line in worker.output().splitlines() if task_id in line and needle in line]


def test_autoretry_retries_three_times_waiting_1_2_4_seconds(lab):
    app, worker, r = lab
    result, metas = send(app, "states.fetch", "http://localhost:9/")
    seen = [m["status"] for m in metas]
    assert seen == ["STARTED", "RETRY"] * 3 + ["STARTED", "FAILURE"]
    assert isinstance(result.result, ConnectionError)
    assert json.loads(r.get(f"celery-task-meta-{result.id}"))["retries"] == 3
    waits = [re.search(r"Retry in (\d+)s", line)[1] for line in log_lines(worker, result.id, "retry: Retry in")]
    assert waits == ["1", "2", "4"]  # retry_backoff=True, retry_jitter=False: 1 x 2**n


def test_self_retry_succeeds_after_the_failures_asked_for(lab):
    app, worker, r = lab
    result, seen = send(app, "states.flaky", 2)
    assert [m["status"] for m in seen] == ["STARTED", "RETRY", "STARTED", "RETRY", "STARTED", "SUCCESS"]
    assert json.loads(r.get(f"celery-task-meta-{result.id}"))["retries"] == 2
    # past max_retries (3), self.retry raises the task's own exception
    over, seen = send(app, "states.flaky", 5)
    assert [m["status"] for m in seen].count("RETRY") == 3
    assert over.state == "FAILURE" and str(over.result) == "try 4 failed"


def test_the_hard_time_limit_kills_the_process_running_the_task(lab):
    app, worker, r = lab
    result, seen = send(app, "states.stuck", 30)
    pid = next(m["result"]["pid"] for m in seen if m["status"] == "STARTED")
    assert seen[-1]["status"] == "FAILURE" and type(result.result).__name__ == "TimeLimitExceeded"
    assert poll(lambda: log_lines(worker, result.id, "Hard time limit (2s) exceeded"), 30)  # logged after it is stored
    # the pool reports the child it lost, by pid, killed by SIGKILL; the process is gone
    assert poll(lambda: f"pid:{pid} exited with 'signal 9 (SIGKILL)'" in worker.output(), 30)
    assert not alive(pid)


def test_the_soft_time_limit_lets_the_task_clean_up(lab):
    app, worker, r = lab
    result = app.tasks["states.tidy"].delay(30)
    assert result.get(timeout=60) == "stopped at the soft time limit, cleaned up"
    assert poll(lambda: log_lines(worker, result.id, "Soft time limit (1s) exceeded for states.tidy"), 30)


def test_revoke_with_terminate_kills_the_running_task(lab):
    app, worker, r = lab
    from celery import uuid

    result = app.AsyncResult(uuid())
    started = threading.Event()
    pids = []

    def on_state(meta):
        if meta["status"] == "STARTED":
            pids.append(meta["result"]["pid"])
            started.set()

    waiter = threading.Thread(target=lambda: send(app, "states.slow", 60, on_state=on_state, task_id=result.id))
    waiter.start()
    assert started.wait(30)
    app.control.revoke(result.id, terminate=True)
    waiter.join(60)
    assert result.state == "REVOKED" and str(result.result) == "terminated"
    assert poll(lambda: log_lines(worker, result.id, f"Terminating {result.id} (15)"), 30)
    assert poll(lambda: not alive(pids[0]), 30)


def test_progress_comes_as_a_custom_state_with_its_meta(lab):
    app, worker, r = lab
    result, seen = send(app, "states.count", 3)
    assert [(m["status"], m["result"]) for m in seen if m["status"] == "PROGRESS"] == \
        [("PROGRESS", {"done": i, "total": 3}) for i in range(3)]


def test_ignore_result_stores_nothing_and_get_does_not_wait(lab):
    app, worker, r = lab
    result = app.tasks["states.note"].delay("hello")
    assert result.get(timeout=1) is None
    assert poll(lambda: log_lines(worker, result.id, "succeeded"), 30)  # it did run
    assert r.exists(f"celery-task-meta-{result.id}") == 0 and result.state == "PENDING"


def test_a_set_argument_is_refused_before_anything_is_sent(lab):
    from kombu.exceptions import EncodeError

    app, worker, r = lab
    before = r.llen("celery")
    with pytest.raises(EncodeError, match="Object of type set is not JSON serializable"):
        app.tasks["states.add"].delay({1, 2}, 3)
    assert r.llen("celery") == before == 0


def test_an_unknown_task_name_is_discarded_and_recorded_as_not_registered(lab):
    from celery.exceptions import NotRegistered

    app, worker, r = lab
    result = app.send_task("states.multiply", (2, 3))
    assert isinstance(result.get(timeout=30, propagate=False), NotRegistered)
    assert poll(lambda: "Received unregistered task of type 'states.multiply'." in worker.output(), 30)
