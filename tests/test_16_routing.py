"""Lesson 16, routing: mail to w1's worker (-Q mail), sums to w2's (-Q math), over TLS as the user celery; w2
taken down, its queue waits and the mail goes on; w2 back, nothing lost (counted as admin). Real namespaces."""

from __future__ import annotations

import os
import sys

import pytest
from courselab.hosts import LESSON, Hosts, TLSRedis
from courselab.services import Services, Worker

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
