"""What lesson 10 says of the canvas, shown on a real worker and a real Redis (no clock is asserted)."""

from __future__ import annotations

import pytest
from celery import chord, group
from conftest import lesson_lab
from courselab import paths
from courselab.services import Worker
from courselab.terminals import poll

LESSON = paths.lesson_dir("10")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Lesson 10's worker (-c 3) on a Redis of its own, for the whole module: (app, worker, redis client)."""
    with lesson_lab(tmp_path_factory.mktemp("redis"), "10", "flow") as (app, services, r):
        worker = services.add(Worker(LESSON, "flow", extra=("--without-mingle", "--without-gossip", "-c", "3")))
        yield app, worker, r


def test_a_chain_feeds_each_result_to_the_next_task(lab):
    app, worker, r = lab
    t = app.tasks
    result = (t["flow.add"].s(2, 2) | t["flow.mul"].s(8) | t["flow.add"].s(10)).delay()
    assert result.get(timeout=30) == 42
    # each step's result is stored just after the next step is sent: get() waits for it, .result might not
    assert [result.parent.parent.get(timeout=30), result.parent.get(timeout=30)] == [4, 32]


def test_a_failed_step_fails_the_rest_of_the_chain_and_calls_link_error(lab):
    app, worker, r = lab
    t = app.tasks
    result = (t["flow.add"].s(1, 1) | t["flow.fail"].s() | t["flow.add"].s(10)).apply_async(
        link_error=t["flow.report"].s())
    assert isinstance(result.get(timeout=30, propagate=False), ValueError)
    failed = result.parent
    assert isinstance(failed.get(timeout=30, propagate=False), ValueError)
    assert [result.parent.parent.get(timeout=30), failed.state, result.state] == [2, "FAILURE", "FAILURE"]
    # the last step never ran: the worker marked it failed, it did not receive it
    assert f"flow.add[{result.id}] received" not in worker.output()
    assert poll(lambda: f"report: task {failed.id} failed: ValueError('cannot handle 2')" in worker.output(), 30)


def test_a_chord_keeps_its_count_in_redis_and_cleans_up(lab):
    app, worker, r = lab
    t = app.tasks
    result = chord([t["flow.slow_add"].s(i, i, seconds=1) for i in range(3)], t["flow.xsum"].s()).delay()
    prefix = f"celery-taskset-meta-{result.parent.id}"
    assert poll(lambda: r.exists(f"{prefix}.s"), 30) and r.get(f"{prefix}.s") == "3"
    assert result.get(timeout=30) == 6
    assert poll(lambda: not r.exists(f"{prefix}.s"), 30)  # cleaned up just after the body was sent
    assert sorted(k.rsplit(".", 1)[1] for k in r.keys(f"{prefix}.*")) == ["c"] and r.get(f"{prefix}.c") == "done"


def test_a_failing_header_task_fails_the_chord_with_chorderror(lab):
    from celery.exceptions import ChordError

    app, worker, r = lab
    t = app.tasks
    result = chord([t["flow.add"].s(1, 1), t["flow.fail"].s(7)], t["flow.xsum"].s()).delay()
    error = result.get(timeout=30, propagate=False)
    assert isinstance(error, ChordError) and "ValueError('cannot handle 7')" in str(error)
    assert f"flow.xsum[{result.id}] received" not in worker.output()  # the body never ran


def test_a_group_keeps_its_order_and_chunks_split_the_calls(lab):
    app, worker, r = lab
    add = app.tasks["flow.add"]
    assert group(add.s(i, i) for i in range(4)).delay().get(timeout=30) == [0, 2, 4, 6]
    pairs = [(i, i) for i in range(6)]
    assert add.chunks(pairs, 2).delay().get(timeout=30) == [[0, 2], [4, 6], [8, 10]]


def test_get_inside_a_task_is_refused(lab):
    app, worker, r = lab
    error = app.tasks["flow.double_of_sum"].delay(2, 3).get(timeout=30, propagate=False)
    assert isinstance(error, RuntimeError) and str(error).startswith("Never call result.get() within a task!")


def test_a_chord_needs_a_result_backend(lab):
    """The same tasks in an app with the lab's Redis as its broker and no result backend."""
    from celery import Celery

    app, worker, r = lab
    bare = Celery("flow", broker=app.conf.broker_url)

    @bare.task(name="flow.add")
    def add(x, y):
        return x + y

    @bare.task(name="flow.xsum")
    def xsum(numbers):
        return sum(numbers)

    with pytest.raises(NotImplementedError, match="Starting chords requires a result backend"):
        chord([add.s(1, 1)], xsum.s()).delay()
    assert r.llen("celery") == 0  # refused before anything was sent
