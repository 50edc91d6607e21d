"""What lesson 11 says of scheduling, counted on real workers, real beats and a real Redis.

Runs are counted in the Redis list the lesson's task writes (runs:<label>), never by a clock: the
double run with a visibility timeout shorter than the countdown, the single run with the default, and
every periodic task sent twice by two beats.
"""

from __future__ import annotations

import pytest
from conftest import lesson_lab
from courselab import paths
from courselab.services import Beat, Worker
from courselab.terminals import poll

LESSON = paths.lesson_dir("11")
QUIET = ("--without-mingle", "--without-gossip")


@pytest.fixture
def lab(tmp_path):
    """A Redis of its own and the lesson's app; what the test starts is stopped afterwards."""
    with lesson_lab(tmp_path / "redis", "11", "timing") as (app, services, r):
        yield app, services, r, tmp_path


def runs_of_a_countdown_with_a_second_worker(app, services, r, module: str) -> list[str]:
    """Section 6: countdown 20 s; once it is unacknowledged for more than 5 s, a second worker starts."""
    workers = [services.add(Worker(LESSON, module, extra=(*QUIET, "-n", "first@%h")))]
    result = app.tasks["timing.tick"].apply_async(["later"], countdown=20)
    held = poll(lambda: r.zrange("unacked_index", 0, -1, withscores=True), 30)
    assert held, "the worker did not take the countdown task"
    # start the second worker once the message is older than short_timeout's 5 s (counted by Redis's clock)
    assert poll(lambda: float(r.time()[0]) - held[0][1] > 6, 30)
    workers.append(services.add(Worker(LESSON, module, extra=(*QUIET, "-n", "second@%h"))))
    assert result.get(timeout=60) == "later"

    def settled():  # every copy any worker received has run (the copies share the eta)
        logs = [w.output() for w in workers]
        return sum(log.count(f"{result.id}] succeeded") for log in logs) == \
            sum(log.count(f"{result.id}] received") for log in logs)

    assert poll(settled, 30)
    return r.lrange("runs:later", 0, -1)


def test_a_countdown_longer_than_the_visibility_timeout_runs_twice(lab):
    app, services, r, tmp = lab
    runs = runs_of_a_countdown_with_a_second_worker(app, services, r, "short_timeout")
    assert len(runs) == 2
    assert len({run.split()[0] for run in runs}) == 1  # sent once, by one client


def test_with_the_default_visibility_timeout_it_runs_once(lab):
    app, services, r, tmp = lab
    assert len(runs_of_a_countdown_with_a_second_worker(app, services, r, "timing")) == 1


def test_two_beats_send_every_periodic_task_twice(lab):
    app, services, r, tmp = lab
    services.add(Worker(LESSON, "timing", extra=QUIET))
    services.add(Beat(LESSON, "timing", tmp / "beat-a"))
    assert poll(lambda: r.llen("runs:interval") >= 2, 30)
    services.add(Beat(LESSON, "timing", tmp / "beat-b"))
    r.delete("runs:interval")
    assert poll(lambda: r.llen("runs:interval") >= 8, 60)
    senders = [run.split()[0] for run in r.lrange("runs:interval", 0, 7)]
    assert len(set(senders)) == 2 and senders.count(senders[0]) == 4  # two beats, four sends each
