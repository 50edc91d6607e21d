"""What lesson 13 says of faults, counted on real workers killed with real signals, and a real Redis.

Each experiment submits tasks whose body counts its own starts and completions in Redis (the lesson's
`work`), kills a pool process or the worker's main process with SIGKILL while tasks run, and asserts the
counts — lost, started twice — never a time. The worker is the lesson's, with its defaults (reliable.py)
or acknowledging late (safe.py).
"""

from __future__ import annotations

import os
import signal

import pytest
from conftest import lesson_lab
from courselab import paths
from courselab.services import Worker, alive, group_members
from courselab.terminals import poll

LESSON = paths.lesson_dir("13")


@pytest.fixture
def lab(tmp_path):
    with lesson_lab(tmp_path / "redis", "13", "reliable") as (app, services, r):
        yield app, services, r


def start(services, module: str) -> Worker:
    return services.add(Worker(LESSON, module, extra=("-c", "2", "--without-mingle", "--without-gossip")))


def submit(app, r, n: int, seconds: float) -> list[str]:
    """submit.py's steps: forget the counts, send, and wait until both pool processes run a task."""
    r.delete("submitted", "started", "completed")
    ids = [app.tasks["reliable.work"].delay(seconds).id for _ in range(n)]
    assert poll(lambda: r.hlen("started") >= 2, 30)
    return ids


def settled(r, ids: list[str], lost_at_most: int) -> dict[str, int]:
    """Wait until the queue and unacked are empty and all but `lost_at_most` tasks completed; the counts."""
    def done():
        return not r.llen("celery") and not r.hlen("unacked") and r.hlen("completed") >= len(ids) - lost_at_most

    assert poll(done, 60), (r.llen("celery"), r.hlen("unacked"), r.hlen("completed"))
    started, completed = r.hgetall("started"), r.hgetall("completed")
    return {"lost": len(set(ids) - completed.keys()), "run twice": sum(int(n) > 1 for n in completed.values()),
            "started twice": sum(int(n) > 1 for n in started.values())}


def kill_pool_process(r) -> int:
    pid = int(r.get("pid:pool-process"))
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_killed_pool_process_loses_its_task_by_default(lab):
    app, services, r = lab
    worker = start(services, "reliable")
    ids = submit(app, r, 10, 0.3)
    pid = kill_pool_process(r)
    counts = settled(r, ids, lost_at_most=1)
    assert counts == {"lost": 1, "run twice": 0, "started twice": 0}
    (lost,) = set(ids) - r.hgetall("completed").keys()
    result = app.AsyncResult(lost)
    assert poll(lambda: result.state == "FAILURE", 10)  # recorded by the main process once it sees the loss
    assert type(result.result).__name__ == "WorkerLostError"
    assert poll(lambda: f"pid:{pid} exited with 'signal 9 (SIGKILL)'" in worker.output(), 10)


def test_acks_late_and_reject_on_worker_lost_run_it_again(lab):
    app, services, r = lab
    start(services, "safe")
    ids = submit(app, r, 10, 0.3)
    kill_pool_process(r)
    assert settled(r, ids, lost_at_most=0) == {"lost": 0, "run twice": 0, "started twice": 1}


def kill_the_worker_and_restart(app, services, r, worker: Worker, module: str, n: int) -> tuple[list[str], int]:
    """Section 4: SIGKILL to the main process while both pool processes run a task; a new worker once the
    unacknowledged messages are older than the lab's visibility timeout (5 s, by Redis's clock)."""
    ids = submit(app, r, n, 1)
    pool = [p for p in group_members(worker.pid) if p != worker.pid]
    assert int(r.get("pid:worker")) == worker.pid and len(pool) == 2
    os.kill(worker.pid, signal.SIGKILL)
    worker.proc.wait(timeout=30)
    # the pool processes die with their parent (Celery sets their parent-death signal to SIGKILL)
    assert poll(lambda: not any(alive(p) for p in pool), 10), "pool processes outlived the worker"
    unacked = r.hlen("unacked")
    assert poll(lambda: float(r.time()[0]) - min(s for _, s in r.zrange("unacked_index", 0, -1, withscores=True))
                > 6, 30)
    services.stop(worker)
    start(services, module)
    return ids, unacked


@pytest.mark.parametrize("module, unacked, counts", [
    ("reliable", 4, {"lost": 2, "run twice": 0, "started twice": 0}),  # the two running were acknowledged
    ("safe", 6, {"lost": 0, "run twice": 0, "started twice": 2}),  # ... or not: they come back
])
def test_a_killed_worker_loses_its_running_tasks_unless_acknowledged_late(lab, module, unacked, counts):
    app, services, r = lab
    worker = start(services, module)
    ids, held = kill_the_worker_and_restart(app, services, r, worker, module, 6)
    assert held == unacked
    assert settled(r, ids, lost_at_most=counts["lost"]) == counts
