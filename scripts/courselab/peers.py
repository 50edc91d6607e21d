"""Lesson 15's peers: Celery beside RQ, Dramatiq, Huey and arq, on the same Redis, in one run of interleaved rounds.

Each system runs the same tiny task (one INCR: lessons/15-performance/*_tick.py, perf.py for Celery) under
its own documented worker command with its defaults. Each round measures, in a rotated order: raw Redis (redis-py,
one client, LPUSH then BRPOP, and its echo round trip), Celery's default (results stored, the burst waited for
by the count, as the peers' are) and Celery's top rung of the ladder, then each peer from its own client
(courselab.peer_client, in a process with PYTHONPATH=.venv/peers: arq pins redis-py below 6, the venv has 8).
Two figures each: tasks per second for a burst, and the round trip of one task sent and waited for. Ratios are
taken within a round (courselab.measure); nothing here asserts a time. courselab.peers_view shows them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .ladder import LESSON, BenchWorker, own_redis, parser, redis_py_rates, rung_env, rungs, top_rung
from .measure import echo_trips, summary, timings_within, wait_count
from .services import Process, ServiceError, Services

PEERS_DIR = paths.REPO / ".venv" / "peers"  # make venv installs the peers here, on no sys.path (requirements-peers.in)
FIGURES = paths.RUN / "bench" / "peers.json"
CELERY_DEFAULT = "Celery: default"
CELERY_TOP = "Celery: top rung"
RAW = "raw Redis: redis-py"  # one client, LPUSH then BRPOP, one message at a time (the ladder's RAW_ONE)


@dataclass(frozen=True)
class Peer:
    name: str  # as the tables show it
    key: str  # its client in courselab.peer_client, and its distribution's name
    command: tuple[str, ...]  # its worker, as its own docs give it: a program of .venv/peers/bin, then arguments
    at_once: str  # what that worker runs at once, with its defaults


PEERS = [
    Peer("RQ", "rq", ("rq", "worker", "--url", "{url}"), "1 (forked)"),
    Peer("Dramatiq", "dramatiq", ("dramatiq", "dramatiq_tick"), "{cpus} × 8 threads"),
    Peer("Huey", "huey", ("huey_consumer", "huey_tick.huey"), "1 thread"),
    Peer("arq", "arq", ("arq", "arq_tick.WorkerSettings"), "10 (asyncio)"),
]


@dataclass
class PeerFigures:
    """What one run measured, round by round: rates in tasks per second, round trips as {"median_ms", "p99_ms"}."""
    tasks: int
    trips: int
    rounds: int
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    rates: dict[str, list[float]] = field(default_factory=dict)  # raw Redis, Celery's two, each peer
    trips_ms: dict[str, list[dict]] = field(default_factory=dict)
    parsers: dict[str, str] = field(default_factory=dict)  # redis-py's parser in each system's client
    versions: dict[str, str] = field(default_factory=dict)  # each system's version
    redis_py: dict[str, str] = field(default_factory=dict)  # the redis-py each system's processes import
    kills: dict[str, dict] = field(default_factory=dict)  # each system's KillCount

    def add(self, name: str, rate: float, samples: list[float]) -> None:
        self.rates.setdefault(name, []).append(rate)
        if samples:
            self.trips_ms.setdefault(name, []).append(summary(samples))


def peers_env(url: str) -> dict[str, str]:
    """The environment of a peer's worker and client: its packages first, the course's helpers, its Redis."""
    if not (PEERS_DIR / "rq").is_dir():
        raise ServiceError(f"the peers are not installed in {PEERS_DIR.relative_to(paths.REPO)}: run `make venv` "
                           "(lesson 04; make bench-peers runs it)")
    path = os.pathsep.join([str(PEERS_DIR), str(paths.REPO / "scripts")])
    return {**os.environ, "PYTHONPATH": path, "REDIS_URL": url, "PYTHONUNBUFFERED": "1"}


class PeerWorker(Process):
    """A peer's worker, as its docs start it, in lessons/15-performance; stopped by PID as every process."""

    def __init__(self, peer: Peer, url: str, logs: Path, tag: str = ""):
        argv = [str(PEERS_DIR / "bin" / peer.command[0]), *(a.format(url=url) for a in peer.command[1:])]
        self.peer = peer
        super().__init__(" ".join([peer.command[0], *argv[1:]]), argv, paths.lesson_dir(LESSON),
                         logs / f"peer-{peer.key}{tag}.log", peers_env(url))


def client(peer: Peer, url: str, tasks: int, trips: int, worker: PeerWorker | None, timeout: float = 300,
           mode: str = "burst") -> dict:
    """One round of a peer from its own client (courselab.peer_client): {"rate", "trips", "parser", "redis_py"};
    or, mode "hold", `tasks` of the kill -9 count's tasks sent."""
    argv = [sys.executable, "-m", "courselab.peer_client", peer.key, mode, str(tasks), str(trips)]
    try:
        done = subprocess.run(argv, cwd=paths.lesson_dir(LESSON), env=peers_env(url), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ServiceError(f"{peer.name}'s client did not finish in {timeout:.0f} s; its worker's log:\n"
                           f"{worker.output()[-2000:] if worker else ''}") from None
    if done.returncode != 0:
        raise ServiceError(f"{peer.name}'s client failed:\n{done.stderr[-2000:]}\nits worker's log:\n"
                           f"{worker.output()[-2000:] if worker else ''}")
    return json.loads(done.stdout.splitlines()[-1])


def version(name: str) -> str:
    """A distribution's version, as installed in .venv/peers."""
    found = next(PEERS_DIR.glob(f"{name}-*.dist-info"), None)
    return found.name.removeprefix(f"{name}-").removesuffix(".dist-info") if found else "?"


def celery_round(figures: PeerFigures, r, tick, name: str, worker: BenchWorker, collect: bool, tasks: int,
                 trips: int) -> None:
    """One round of one of Celery's workers: the burst (results stored and not collected for the default, as the
    peers' are; ignored for the top rung, as in the ladder), then its round trips."""
    tick.apply_async(queue=worker.queue).get(timeout=30)  # warm up (its INCR forgotten next)
    r.delete("perf:done")
    t = time.perf_counter()
    for _ in range(tasks):
        tick.apply_async(queue=worker.queue, ignore_result=not collect)
    rate = tasks / (wait_count(r, tasks) - t)
    figures.add(name, rate, timings_within(lambda: tick.apply_async(queue=worker.queue).get(timeout=30), trips))


def raw_round(figures: PeerFigures, r, port: int, tasks: int, trips: int) -> None:
    """One round of raw Redis: redis-py LPUSH then BRPOP one at a time, and the LPUSH → echo → BRPOP round trip."""
    one, _piped = redis_py_rates(r, tasks)
    figures.add(RAW, one, echo_trips(r, port, lambda fn: timings_within(fn, trips)))


def measure(tasks: int, trips: int, rounds: int, progress=None) -> PeerFigures:
    """Celery's default and top rung, RQ, Dramatiq, Huey and arq, and raw Redis, in `rounds` interleaved rounds on
    a Redis of its own (the course's build, loopback, a free port, nothing on disk)."""
    import redis

    say = progress or (lambda text: None)
    figures = PeerFigures(tasks=tasks, trips=trips, rounds=rounds)
    with contextlib.ExitStack() as stack:
        bench = own_redis(stack, "peers-")
        work, services, port, url, r, env, app, tick = (bench.work, bench.services, bench.port, bench.url, bench.r,
                                                        bench.env, bench.app, bench.tick)
        import celery

        ladder = rungs(100)
        top = top_rung(ladder)
        say(f"Celery's default and top rung ({top.name.lstrip('+ ')}), {', '.join(p.name for p in PEERS)}: "
            "each worker started once")
        default_worker = services.add(BenchWorker("default", ladder[0].app, ladder[0].worker, env, work))
        top_worker = services.add(BenchWorker("top", top.app, top.worker, rung_env(top, env), work))
        peer_workers = [services.add(PeerWorker(peer, url, work)) for peer in PEERS]
        for worker in (default_worker, top_worker):
            worker.wait_ready(app)
        for peer, worker in zip(PEERS, peer_workers, strict=True):  # ready once it has run a task
            got = client(peer, url, 1, 1, worker, timeout=60)
            figures.parsers[peer.name] = got["parser"]
            figures.versions[peer.name], figures.redis_py[peer.name] = version(peer.key), got["redis_py"]
        figures.parsers[CELERY_DEFAULT] = parser(env)
        figures.parsers[CELERY_TOP] = parser(rung_env(top, env))
        figures.versions["Celery"], figures.redis_py["Celery"] = celery.__version__, redis.__version__

        def run_celery(name, worker, collect):
            return lambda: celery_round(figures, r, tick, name, worker, collect, tasks, trips)

        def run_peer(peer, worker):
            def run():
                got = client(peer, url, tasks, trips, worker)
                figures.add(peer.name, got["rate"], got["trips"])
            return run

        systems = [("raw Redis", lambda: raw_round(figures, r, port, tasks, trips)),
                   (CELERY_DEFAULT, run_celery(CELERY_DEFAULT, default_worker, True)),
                   (CELERY_TOP, run_celery(CELERY_TOP, top_worker, False)),
                   *((peer.name, run_peer(peer, worker)) for peer, worker in zip(PEERS, peer_workers, strict=True))]
        for k in range(rounds):
            say(f"round {k + 1} of {rounds}: raw Redis, Celery, the peers, from {systems[k % len(systems)][0]}")
            for _name, run in systems[k % len(systems):] + systems[:k % len(systems)]:
                run()
        order = [RAW, CELERY_DEFAULT, CELERY_TOP, *(p.name for p in PEERS)]
        figures.rates = {name: figures.rates[name] for name in order}
        figures.trips_ms = {name: figures.trips_ms[name] for name in order}

        say("kill -9: each system's default worker, killed with its tasks held at the gate (at once, each on a "
            "database of its own)")
        for worker in (default_worker, top_worker, *peer_workers):
            services.stop(worker)
        figures.kills = kills(services, app, port, env, work)
    return figures


def kills(services: Services, app, port: int, env: dict[str, str], work: Path) -> dict[str, dict]:
    """The kill -9 count of Celery's default and of each peer's, all at once, each on a Redis database of its own
    (Celery on 0, the app's; the peers on 1, 2, …)."""
    import redis

    def celery_count() -> KillCount:
        url = f"redis://localhost:{port}/0"
        tags = iter(("", "-again"))
        return kill_count(
            redis.Redis.from_url(url),
            start=lambda: services.add(BenchWorker(f"kill{next(tags)}", "celery_hold", (), {**env, "REDIS_URL": url},
                                                   work, queue="kill")),
            ready=lambda worker: worker.wait_ready(app),
            send_holds=lambda n: [app.send_task("hold", queue="kill") for _ in range(n)],
            waiting=WAITING["Celery"][0],
            taken=lambda r: r.llen("kill") == 0)  # prefetched: 4 × a process per CPU take all six

    def peer_count(peer: Peer, db: int) -> KillCount:
        url = f"redis://localhost:{port}/{db}"
        tags = iter(("-kill", "-again"))
        return kill_count(
            redis.Redis.from_url(url),
            start=lambda: services.add(PeerWorker(peer, url, work, next(tags))),
            ready=lambda worker: client(peer, url, 1, 1, worker, timeout=60),
            send_holds=lambda n: client(peer, url, n, 0, None, timeout=60, mode="hold"),
            waiting=WAITING[peer.name][0])

    with ThreadPoolExecutor(max_workers=1 + len(PEERS)) as pool:
        counts = {"Celery": pool.submit(celery_count),
                  **{peer.name: pool.submit(peer_count, peer, db) for db, peer in enumerate(PEERS, 1)}}
        return {name: dataclasses.asdict(count.result()) for name, count in counts.items()}


@dataclass
class KillCount:
    """What a worker killed with kill -9 lost: n of the kill -9 count's tasks (gate.hold) sent to it; once it had
    taken what it takes, every one of its processes killed; a new worker started and the gate opened."""
    sent: int
    running: int  # started when the worker was killed (each holding at the gate)
    completed: int  # completed by the new worker, within the window
    started: int  # every start, before and after
    waiting: int  # still in Redis for a later delivery, in the system's own keys (WAITING)


# Where each system keeps, after a kill, what it will deliver again later — and after how long (by default). Read
# in the installed sources: kombu's `unacked` hash (restored after visibility_timeout, counted from the delivery:
# kombu/transport/redis.py, QoS.restore_visible); Dramatiq's per-worker ack sets (requeued by a maintenance run
# once the worker's heartbeat is heartbeat_timeout old: dramatiq/brokers/redis/dispatch.lua); arq's in-progress
# keys (the job stays in the queue's sorted set, skipped until its key expires: arq/worker.py, start_jobs). RQ's
# started job is moved to its FailedJobRegistry, not run again (rq/registry.py, StartedJobRegistry.cleanup);
# Huey's message was popped from its list (huey/storage.py, RedisStorage.dequeue): neither keeps one.
WAITING = {
    "Celery": (lambda r: r.hlen("unacked"), "visibility_timeout (1 h from delivery)"),
    "RQ": (lambda r: 0, ""),
    "Dramatiq": (lambda r: sum(r.scard(k) for k in r.scan_iter("dramatiq:__acks__.*")),
                 "heartbeat_timeout (60 s), then maintenance"),
    "Huey": (lambda r: 0, ""),
    "arq": (lambda r: sum(1 for _ in r.scan_iter("arq:in-progress:*")), "job_timeout + 10 s (310 s)"),
}


def settled(r, quiet: float, bound: float) -> tuple[int, int]:
    """hold:started and hold:completed once neither has changed for `quiet` seconds (or after `bound` seconds)."""
    deadline, last, since = time.monotonic() + bound, None, time.monotonic()
    while time.monotonic() < deadline:
        now = (int(r.get("hold:started") or 0), int(r.get("hold:completed") or 0))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.05)
    return last or (0, 0)


def kill_count(r, start, ready, send_holds, waiting, taken=lambda r: True, n: int = 6) -> KillCount:
    """Lesson 13's experiment on one system, on its own Redis database r: a fresh worker; n holds sent; once it has
    taken what it takes (nothing moved for a second), all its processes killed (kill -9); a new worker started and
    the gate opened; once the new worker has answered (a ping, or a tick sent after the holds and run) and nothing
    has moved for a second, the counts. `taken` says when the worker has taken all it will (Celery's prefetch: its
    queue is empty), so that the kill finds the same state on a busy machine as on a quiet one."""
    r.flushdb()
    worker = start()
    ready(worker)
    send_holds(n)
    deadline = time.monotonic() + 30
    while not taken(r) and time.monotonic() < deadline:
        time.sleep(0.05)
    running, _ = settled(r, quiet=1.0, bound=30)
    worker.kill_tree()
    again = start()
    r.set("gate", "open")
    ready(again)
    started, completed = settled(r, quiet=1.0, bound=30)
    count = KillCount(sent=n, running=running, completed=completed, started=started, waiting=waiting(r))
    again.stop()
    return count


def write(figures: PeerFigures, where: Path = FIGURES) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(json.dumps(dataclasses.asdict(figures), indent=2) + "\n")
    return where
