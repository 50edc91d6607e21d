"""What lesson 14 says of a broken broker, counted on real workers and real Redis servers: the broker's Redis
(broker.conf, a second one: the ledger stays in the first) killed under load without and with an append-only
file, and filled up with an evicting and with a refusing policy. Counts only, never a time. Everything runs in
lesson 14's folder, through its links to lesson 13's app. (tests/test_13_behaviour.py holds lesson 13's worker
faults and the helpers used here.)
"""

from __future__ import annotations

import os
import signal

import pytest
import redis
from conftest import lesson_lab
from courselab import paths
from courselab.services import RedisServer, free_port
from courselab.terminals import poll
from test_13_behaviour import open_gate, run_script, settled, start, submit, wait_past_visibility_timeout


@pytest.fixture
def lab(tmp_path):
    """The ledger's Redis (and the results'), and the lesson's app; each test adds its broker."""
    with lesson_lab(tmp_path / "redis", "14", "reliable") as (app, services, r):
        yield app, services, r


# --- sections 1-3: the broker broken -------------------------------------------------------------------


LESSON = paths.lesson_dir("14")


def broker_redis(services, tmp_path, port: int, *extra: str) -> RedisServer:
    """lesson 14's broker.conf, on a free port, with the arguments the lesson adds after the file's name."""
    return services.add(RedisServer(port, tmp_path / "broker", conf=LESSON / "broker.conf", extra=extra))


@pytest.mark.parametrize("extra, counts", [
    ((), {"lost": 4, "run twice": 0, "started twice": 0}),  # restarted empty: the prefetched four are gone
    (("--appendonly", "yes"), {"lost": 0, "run twice": 2, "started twice": 2}),  # kept; two acks never arrived
], ids=["no-persistence", "appendonly"])
def test_a_killed_broker_loses_what_it_did_not_write_to_disk(lab, tmp_path, extra, counts):
    app, services, r = lab
    port = free_port()
    url = f"redis://localhost:{port}/0"
    broker = broker_redis(services, tmp_path, port, *extra)
    worker = start(services, "safe", broker=url, lesson=LESSON)
    ids = submit(r, 6, broker=url, lesson=LESSON)
    os.kill(broker.pid, signal.SIGKILL)
    # a worker holding messages does not survive its broker's loss (kombu 5.7.0, section 2) ...
    assert poll(lambda: "Unrecoverable error: AttributeError(\"'NoneType' object has no attribute 'hostname'\")" in
                worker.output(), 60), worker.output()
    assert worker.proc.poll() is None  # ... but waits for its running tasks, held at the gate, before it exits
    open_gate(r)  # they finish while the broker is down
    assert worker.proc.wait(timeout=60) == 1
    services.stop(broker)
    broker_redis(services, tmp_path, port, *extra)
    queue = redis.Redis(port=port, decode_responses=True)
    if queue.hlen("unacked"):  # what the dead worker held comes back once older than the visibility timeout
        wait_past_visibility_timeout(queue)
    start(services, "safe", broker=url, lesson=LESSON)
    assert settled(r, ids, lost_at_most=counts["lost"], broker=queue) == counts


def small_broker(services, tmp_path, policy: str) -> tuple[str, redis.Redis]:
    """Section 3's broker: 2 MB at most, with an append-only file and `policy` at the cap; its URL and a client."""
    port = free_port()
    broker_redis(services, tmp_path, port, "--appendonly", "yes", "--maxmemory", "2mb", "--maxmemory-policy", policy)
    return f"redis://localhost:{port}/0", redis.Redis(port=port, decode_responses=True)


def test_a_full_broker_with_an_evicting_policy_loses_messages_silently(lab, tmp_path):
    app, services, r = lab
    url, queue = small_broker(services, tmp_path, "allkeys-lru")
    assert run_script("flood.py", 2000, broker=url, lesson=LESSON) == "2000 of 2000 tasks sent\n"  # nobody was told
    assert queue.info("stats")["evicted_keys"] > 0
    start(services, "safe", broker=url, lesson=LESSON)
    ids = list(r.smembers("submitted"))
    counts = settled(r, ids, lost_at_most=len(ids), broker=queue)
    assert counts["lost"] > 1000, counts  # whole keys went: the queue itself, with all its messages


def test_a_full_broker_with_noeviction_refuses_and_keeps_what_it_took(lab, tmp_path):
    app, services, r = lab
    url, queue = small_broker(services, tmp_path, "noeviction")
    out = run_script("flood.py", 2000, broker=url, lesson=LESSON)
    assert "then the broker refused one" in out and "command not allowed when used memory > 'maxmemory'" in out
    sent = int(out.split()[0])
    assert 0 < sent < 2000 and r.scard("submitted") == sent
    assert queue.config_set("maxmemory", "100mb")  # the operator gives it room: a worker could not even start
    start(services, "safe", broker=url, lesson=LESSON)
    assert settled(r, list(r.smembers("submitted")), lost_at_most=0, broker=queue)["lost"] == 0
