"""Lesson 17, routing on lesson 16's hosts: mail to w1's worker (-Q mail), sums to w2's (-Q math), over TLS as the
user celery; w2 taken down, its queue waits and the mail goes on; w2 back, nothing lost (counted as admin). Real
namespaces."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import assert_fails_with, assert_passes, run_check
from courselab import paths
from courselab.hosts import Hosts, TLSRedis
from courselab.services import Services, Worker

LESSON = paths.lesson_dir("17")  # routes.py, send.py, count.py; on.sh, lan.py, tlsapp.py linked from lesson 16
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root (CI runs as root)")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, redis_built):
    with Hosts(f"r{os.getpid()}", tmp_path_factory.mktemp("home")) as made:
        with Services() as started:
            started.add(TLSRedis(made))
            yield made


def run(hosts: Hosts, *argv: str) -> str:
    done = hosts.run("client", sys.executable, *argv, cwd=LESSON, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def worker(hosts: Hosts, host: str, *extra: str) -> Worker:
    return Worker(LESSON, "routes", extra=extra, env=hosts.env(), on=hosts.on(host))


def counts(hosts: Hosts) -> list[int]:
    """count.py, as the lesson runs it: it waits itself until the workers are done with what they can take."""
    return [int(n) for n in run(hosts, "count.py").splitlines()[1].split()]


def test_each_kind_runs_where_its_queue_is_consumed_and_waits_while_no_one_does(hosts):
    with Services() as started:
        mail = started.add(worker(hosts, "w1", "-Q", "mail", "-c", "1", "-n", "mail@w1"))
        math = started.add(worker(hosts, "w2", "-Q", "math", "--autoscale=4,1", "-n", "math@w2"))
        queues = run(hosts, "-c", "from routes import app; q = app.control.inspect(timeout=3).active_queues(); "
                                  "print(sorted((n, [x['name'] for x in v]) for n, v in q.items()))")
        assert queues.strip() == "[('mail@w1', ['mail']), ('math@w2', ['math'])]"
        assert run(hosts, "send.py", "5") == "5 mails and 5 sums sent\n"
        assert counts(hosts) == [10, 10, 0, 0]
        assert "Task routes.send_mail[" in mail.output() and "Task routes.add[" not in mail.output()
        assert "Task routes.add[" in math.output() and "Task routes.send_mail[" not in math.output()
        started.stop(math)  # w2 down
        run(hosts, "send.py", "5")
        assert counts(hosts) == [20, 15, 0, 5]  # the mail went; the sums wait in math
        started.add(worker(hosts, "w2", "-Q", "math", "--autoscale=4,1", "-n", "math@w2"))
        assert counts(hosts) == [20, 20, 0, 0]  # w2 back: nothing lost


# --- stage routing: its check passes with both routed workers, and fails with its hint without one -----------


def test_the_routing_check_passes_with_both_workers(course, as_learner):
    with Services() as started:
        for host, queue, name in (("w1", "mail", "mail@w1"), ("w2", "math", "math@w2")):
            started.add(worker(as_learner, host, "-Q", queue, "-c", "1", "-n", name))
        assert_passes(run_check(course, "routed-workers"))


def test_no_worker_on_w2(course, as_learner):
    with Services() as started:
        started.add(worker(as_learner, "w1", "-Q", "mail", "-c", "1", "-n", "mail@w1"))
        result = run_check(course, "routed-workers")
    assert_fails_with(result, course, "no-host-worker")
    assert result.detail == "no answer from math@w2; workers that answered: ['mail@w1']"
    assert "lessons/17-routing" in result.hint
