"""What lesson 13 says of a worker's faults, counted on real workers stopped and killed with real signals.

Each experiment submits tasks whose body counts its own starts and completions in Redis (the lesson's
`work`) and hold at the lesson's gate until the test opens it, as the lesson does, so that the fault always
finds its victim running, whatever the machine's speed; injects one fault — a pool process or the worker's main
process killed with SIGKILL, a warm, cold or soft shutdown — and asserts the counts (lost, run twice, started
twice), never a time. The worker is the lesson's, with its defaults (reliable.py), acknowledging late (safe.py)
or with a soft shutdown (patient.py).
The broker's faults (lesson 14) are in tests/test_14_broker.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lesson_lab
from courselab import lessonapp, paths
from courselab.services import Worker, alive, group_members
from courselab.terminals import poll

LESSON = paths.lesson_dir("13")


@pytest.fixture
def lab(tmp_path):
    with lesson_lab(tmp_path / "redis", "13", "reliable") as (app, services, r):
        yield app, services, r


def start(services, module: str, broker: str | None = None, lesson: Path = LESSON) -> Worker:
    """The lab's worker, -c 2, in `lesson`'s folder (lesson 14's links to this lesson's app)."""
    worker = Worker(lesson, module, extra=("-c", "2", "--without-mingle", "--without-gossip"))
    if broker:  # lesson 14: the messages go through the second Redis, the results and the ledger stay
        worker.env["CELERY_BROKER_URL"] = broker
    return services.add(worker)


def run_script(name: str, *args, broker: str | None = None, status: int = 0, lesson: Path = LESSON) -> str:
    """One of the lesson's scripts, run as the lesson runs it (in `lesson`'s folder, against this test's Redis; the
    messages through `broker` when given, as lesson 14 does with CELERY_BROKER_URL): its output (its error
    output, when it is to fail with `status`)."""
    env = lessonapp.lesson_env(lesson, "reliable", base={**os.environ, **({"CELERY_BROKER_URL": broker} if broker
                                                                             else {})})
    proc = subprocess.run([sys.executable, name, *map(str, args)], cwd=lesson, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == status, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout if status == 0 else proc.stderr


def submit(r, n: int, broker: str | None = None, lesson: Path = LESSON) -> list[str]:
    """submit.py: shut the gate, forget the counts, send n tasks, wait until two hold at the gate (and the worker
    lists them, and holds the others it may take)."""
    assert run_script("submit.py", n, broker=broker, lesson=lesson) == f"{n} tasks submitted; two hold at the gate\n"
    assert r.get("gate") is None
    return list(r.smembers("submitted"))


def open_gate(r) -> None:
    """The lesson's `redis-cli set gate open`: the tasks held at the gate finish, and the next ones pass."""
    assert r.set("gate", "open")


def settled(r, ids: list[str], lost_at_most: int, broker=None) -> dict[str, int]:
    """Wait until the queue and unacked (in `broker`, if not the ledger's Redis `r`) are empty and all but
    `lost_at_most` tasks completed; the counts."""
    queue = broker or r

    def done():
        return not queue.llen("celery") and not queue.hlen("unacked") and \
            r.hlen("completed") >= len(ids) - lost_at_most

    assert poll(done, 60), (queue.llen("celery"), queue.hlen("unacked"), r.hlen("completed"))
    started, completed = r.hgetall("started"), r.hgetall("completed")
    return {"lost": len(set(ids) - completed.keys()), "run twice": sum(int(n) > 1 for n in completed.values()),
            "started twice": sum(int(n) > 1 for n in started.values())}


def test_count_will_not_wait_on_a_shut_gate(lab):
    app, services, r = lab
    start(services, "reliable")
    ids = submit(r, 2)
    said = run_script("count.py", status=1)
    assert "the gate is shut" in said and "redis-cli set gate open (lesson 13, section 1)" in said
    open_gate(r)
    assert settled(r, ids, lost_at_most=0) == {"lost": 0, "run twice": 0, "started twice": 0}


def kill_pool_process(r) -> int:
    pid = int(r.get("pid:pool-process"))
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_killed_pool_process_loses_its_task_by_default(lab):
    app, services, r = lab
    worker = start(services, "reliable")
    ids = submit(r, 10)
    pid = kill_pool_process(r)
    open_gate(r)
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
    ids = submit(r, 10)
    kill_pool_process(r)
    open_gate(r)
    assert settled(r, ids, lost_at_most=0) == {"lost": 0, "run twice": 0, "started twice": 1}


def wait_past_visibility_timeout(broker) -> None:
    """Until the oldest unacknowledged message is older than the lab's visibility timeout (10 s), by Redis's clock:
    a worker that starts then puts it back in the queue."""
    assert poll(lambda: float(broker.time()[0]) - min(s for _, s in broker.zrange("unacked_index", 0, -1,
                                                                                  withscores=True)) > 11, 40)


def kill_the_worker_and_restart(services, r, worker: Worker, module: str, n: int) -> tuple[list[str], int]:
    """Section 4: SIGKILL to the main process while both pool processes run a task; a new worker once the
    unacknowledged messages are older than the lab's visibility timeout (10 s, by Redis's clock), and the gate
    opened."""
    ids = submit(r, n)
    pool = [p for p in group_members(worker.pid) if p != worker.pid]
    assert int(r.get("pid:worker")) == worker.pid and len(pool) == 2
    os.kill(worker.pid, signal.SIGKILL)
    worker.proc.wait(timeout=30)
    # the pool processes die with their parent (Celery sets their parent-death signal to SIGKILL)
    assert poll(lambda: not any(alive(p) for p in pool), 10), "pool processes outlived the worker"
    unacked = r.hlen("unacked")
    wait_past_visibility_timeout(r)
    assert r.hlen("completed") == 0  # nothing passed the shut gate
    services.stop(worker)
    start(services, module)
    open_gate(r)
    return ids, unacked


@pytest.mark.parametrize("module, unacked, counts", [
    ("reliable", 4, {"lost": 2, "run twice": 0, "started twice": 0}),  # the two running were acknowledged
    ("safe", 6, {"lost": 0, "run twice": 0, "started twice": 2}),  # ... or not: they come back
])
def test_a_killed_worker_loses_its_running_tasks_unless_acknowledged_late(lab, module, unacked, counts):
    app, services, r = lab
    worker = start(services, module)
    ids, held = kill_the_worker_and_restart(services, r, worker, module, 6)
    assert held == unacked
    assert settled(r, ids, lost_at_most=counts["lost"]) == counts


# --- section 7: stopping a worker ------------------------------------------------------------------


def stop_with(worker: Worker, sig: int, then: str | None = None, r=None) -> int:
    """Signal the worker; if `then` is given, wait until its output says so, check that it still runs (its tasks
    held at the gate), and open the gate, as the lesson does; its exit status."""
    os.kill(worker.pid, sig)
    if then:
        assert poll(lambda: then in worker.output(), 60), worker.output()
        assert worker.proc.poll() is None and r.hlen("completed") == 0  # still there, waiting for its tasks
        open_gate(r)
    return worker.proc.wait(timeout=60)


def test_a_warm_shutdown_finishes_the_running_tasks_and_gives_the_prefetched_back(lab):
    app, services, r = lab
    worker = start(services, "reliable")  # even with Celery's defaults
    ids = submit(r, 6)
    # it waits for its running tasks, however long they take: until the gate opens
    assert stop_with(worker, signal.SIGTERM, then="worker: Warm shutdown (MainProcess)", r=r) == 0
    assert "Restoring 4 unacknowledged message(s)" in worker.output()
    assert (r.hlen("completed"), r.llen("celery"), r.hlen("unacked")) == (2, 4, 0)
    start(services, "reliable")
    assert settled(r, ids, lost_at_most=0) == {"lost": 0, "run twice": 0, "started twice": 0}


@pytest.mark.parametrize("module, restored, counts", [
    ("reliable", {4}, {"lost": 2, "run twice": 0, "started twice": 0}),  # the running two, acknowledged: lost
    # cancelled, given back, run again: rejected back by the pool's WorkerLostError before the connection closes
    # (4 restored by the close) or restored with the rest (6), whichever comes first
    ("safe", {4, 6}, {"lost": 0, "run twice": 0, "started twice": 2}),
    ("patient", {4}, {"lost": 0, "run twice": 0, "started twice": 0}),  # given 10 s, the gate opened in them
])
def test_a_cold_shutdown_cancels_the_running_tasks_unless_soft(lab, module, restored, counts):
    app, services, r = lab
    worker = start(services, module)
    ids = submit(r, 6)
    soft = "Initiating Soft Shutdown, terminating in 10 seconds"
    stop_with(worker, signal.SIGQUIT, then=soft if module == "patient" else None, r=r)
    assert "worker: Cold shutdown (MainProcess)" in worker.output()
    assert any(f"Restoring {n} unacknowledged message(s)" in worker.output() for n in restored), worker.output()
    assert (soft in worker.output()) == (module == "patient")
    start(services, module)
    open_gate(r)
    assert settled(r, ids, lost_at_most=counts["lost"]) == counts


# --- kill-noted.sh: the lesson's kill of a PID noted in Redis, checked first (issue 24) --------------------------

KILL_NOTED = r"""
set -uo pipefail
ip link set lo up
redis-server --port 6379 --save '' --appendonly no --daemonize no >/dev/null & server=$!
for _ in $(seq 100); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
bash -c 'exec -a celery sleep 60' & victim=$!   # a process of ours whose command line says celery
sleep 60 & bystander=$!                          # one of ours that is not celery
for value in -1 "" "1 2" 0 "$bystander" "$victim"; do
  redis-cli set pid:worker "$value" >/dev/null
  ./kill-noted.sh -TERM worker
  echo "rc=$?"
done
wait "$victim"; echo "victim: $?"
kill -0 "$bystander" && echo "bystander: alive"
kill "$bystander" "$server"; wait
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace of its own (its Redis on 6379) takes root")
def test_kill_noted_kills_only_a_celery_process_of_yours():
    """A Redis of its own on 6379 in a network namespace of this test, as the lesson's: -1 (every process), an
    empty value, two words, 0 and a PID of another program are refused, each saying why; the noted worker dies."""
    env = {**os.environ, "PATH": f"{paths.redis_bin().parent}:{os.environ['PATH']}"}
    proc = subprocess.run(["unshare", "--net", "bash", "-c", KILL_NOTED], cwd=LESSON, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout.splitlines() == ["rc=1"] * 5 + ["rc=0", f"victim: {128 + signal.SIGTERM}",
                                                       "bystander: alive"], proc.stdout + proc.stderr
    said = proc.stderr.splitlines()
    assert said[0] == "kill-noted.sh: pid:worker holds '-1', not a PID: nothing killed"
    assert said[1] == "kill-noted.sh: pid:worker holds '', not a PID: nothing killed"
    assert said[3] == "kill-noted.sh: pid:worker holds '0', not a PID: nothing killed"
    assert said[4].startswith("kill-noted.sh: pid:worker names PID ") and "which is not a celery process of yours" \
        in said[4] and "(sleep 60)" in said[4] and said[4].endswith(": nothing killed")
