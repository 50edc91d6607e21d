"""Lesson 15's performance ladder: Celery measured rung by rung against the Redis underneath it, in one run.

Each rung is one change from the rung before, on lesson 15's app (`perf.py`, a task `tick` that counts
itself done with one INCR). Two figures per rung: tasks/s for a burst of short tasks (sent, then waited for
until all are done) and the `tick.delay().get()` round trip (p50, p99). Beside them, measured in the same
run on the same Redis: raw Redis (`redis-benchmark` and redis-py, one client and pipelined) and Celery's
own ceilings (one client publishing with no worker consuming; one worker draining a full queue with no
client running). Then an I/O-bound task (`slow.py`) on prefork, threads and gevent, and a profile of the
chunks rung's worker and of the client (courselab.profiling).

Every figure is measured in interleaved rounds: every rung's worker is started once, on a queue of its own,
and each round measures raw Redis, the ceilings, every rung and every pool once (the rungs in a rotated
order, so that none is always first or last). A ratio is taken within a round, and a figure is shown as the
median of its rounds with their range (courselab.measure). courselab.ladder_view shows the figures; nothing
here asserts a time.
"""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from . import lessonapp, paths, profiling
from .measure import echo_trips, summary, timings, wait_count
from .services import Process, RedisServer, ServiceError, Services, free_port

LESSON = "15"
QUIET = ("--without-gossip", "--without-mingle", "--without-heartbeat")
FIGURES = paths.RUN / "bench" / "ladder.json"  # make bench's figures and chart, by default
CHART = paths.RUN / "bench" / "ladder.png"
CHUNK_BURST = 10  # the chunks rung's burst, and raw redis-py's INCR: ten calls for each task of the others' bursts
RAW_ONE = "redis-py LPUSH, BRPOP"  # one client, one message at a time: the ratio's base
HIREDIS = paths.REPO / ".venv" / "hiredis"  # make venv installs hiredis here, on no sys.path (requirements-hiredis.in)
WAIT_MS = 50  # slow.wait's wait: the I/O-bound task
POOLS = [  # the I/O-bound task's pools: name, worker options (beside QUIET), concurrency
    ("prefork", (), os.cpu_count() or 1),
    ("threads -c 50", ("-P", "threads", "-c", "50"), 50),
    ("gevent -c 50", ("-P", "gevent", "-c", "50"), 50),
]


@dataclass(frozen=True)
class Rung:
    name: str  # as the table shows it
    change: str  # what changed from the rung before
    worker: tuple[str, ...] = ()  # `celery -A APP worker` options
    results: bool = True  # the burst collects every result (else: the count of INCRs says when all are done)
    chunk: int = 0  # the burst as tick.chunks(..., chunk): tasks of `chunk` calls each
    side: bool = False  # an alternative to the rung before, not a step up (the next rung builds on the one before)
    app: str = "perf"  # the lesson's module the worker runs
    hiredis: bool = False  # the worker's redis-py can import hiredis (PYTHONPATH=.venv/hiredis)


def rungs(chunk: int) -> list[Rung]:
    prefetch = ("--prefetch-multiplier", "16")
    return [
        Rung("default", "celery -A perf worker: prefork, a process per CPU, results stored and collected"),
        Rung("+ quiet worker", " ".join(QUIET), QUIET),
        Rung("+ results ignored", "the burst sent with apply_async(ignore_result=True)", QUIET, results=False),
        Rung("+ prefetch ×16", " ".join(prefetch), QUIET + prefetch, results=False),
        Rung("  threads pool", "-P threads, beside the next rung", QUIET + prefetch + ("-P", "threads"),
             results=False, side=True),
        Rung("+ solo pool", "-P solo instead of prefork", QUIET + prefetch + ("-P", "solo"), results=False),
        Rung("+ no ack emulation", "celery -A noack: broker_transport_options = {'ack_emulation': False}",
             QUIET + prefetch + ("-P", "solo"), results=False, app="noack"),
        Rung("+ hiredis parser", "PYTHONPATH=.venv/hiredis for the worker: redis-py parses replies with hiredis",
             QUIET + prefetch + ("-P", "solo"), results=False, app="noack", hiredis=True),
        Rung(f"+ chunks of {chunk}", f"tick.chunks(..., {chunk}): {chunk} calls per message, "
             f"{CHUNK_BURST}× the calls per burst",
             QUIET + prefetch + ("-P", "solo"), results=False, chunk=chunk, app="noack", hiredis=True),
    ]


def top_rung(ladder: list[Rung]) -> Rung:
    """The last step up with one message per task: the rung the goals, the drain ceiling and the client's
    profile are about."""
    return next(x for x in reversed(ladder) if not x.chunk and not x.side)


def chunks_rung(ladder: list[Rung]) -> Rung:
    return next(x for x in ladder if x.chunk)


@dataclass
class Figures:
    """What one run measured, round by round: every figure is a list with one value per round — rates in
    messages (or tasks, items) per second, round trips as {"median_ms", "p99_ms"} of that round's calls."""
    tasks: int  # per burst, in each round
    trips: int  # round trips per rung, in each round
    chunk: int
    rounds: int = 1
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    raw: dict[str, list[float]] = field(default_factory=dict)  # raw Redis rates
    raw_trip: list[dict] = field(default_factory=list)  # LPUSH → echo → BRPOP round trip
    ceilings: dict[str, list[float]] = field(default_factory=dict)  # publish only, drain
    rates: dict[str, list[float]] = field(default_factory=dict)  # per rung
    trips_ms: dict[str, list[dict]] = field(default_factory=dict)  # per rung
    p99_ms: dict[str, float] = field(default_factory=dict)  # per rung and raw Redis: the p99 of every round's trips
    parsers: dict[str, str] = field(default_factory=dict)  # per rung: redis-py's parser in its worker
    io_tasks: int = 0  # per pool, in each round
    io_rates: dict[str, list[float]] = field(default_factory=dict)  # per pool: the I/O-bound task's tasks/s
    worker_shares: dict[str, float] = field(default_factory=dict)  # the chunks rung's worker, profiled (once)
    client_shares: dict[str, float] = field(default_factory=dict)  # the client's get() round trips, profiled (once)
    per_message: dict[str, float] = field(default_factory=dict)  # the profiled chunks: calls per message

    def add(self, figures: dict, name: str, value) -> None:
        """One round's value of a figure."""
        figures.setdefault(name, []).append(value)


class BenchWorker(Process):
    """`celery -A APP worker -n NAME@ladder -Q QUEUE OPTIONS` in lesson 15's folder, with Celery's default log
    level (WARNING: no line per task); ready once it answers a ping. Each worker consumes a queue of its own
    (named after it), so that all of them can run at once and each burst reaches the rung it is for."""

    def __init__(self, name: str, app: str, options: tuple[str, ...], env: dict[str, str], logs: Path,
                 queue: str | None = None):
        celery = Path(sys.executable).with_name("celery")
        self.node, self.queue = f"{name}@ladder", queue or name
        log = logs / f"worker-{name}.log"
        super().__init__(f"celery -A {app} worker {' '.join(options)}",
                         [str(celery), "-A", app, "worker", "-n", self.node, "-Q", self.queue, *options],
                         paths.lesson_dir(LESSON), log, env)

    def start_and_wait(self, app, timeout: float = 60.0) -> None:
        self.start()
        self.wait_ready(app, timeout)

    def wait_ready(self, app, timeout: float = 60.0) -> None:
        """Until it answers a ping (whoever started it stops it, also when it does not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServiceError(f"`{self.name}` exited with status {self.proc.returncode}:\n"
                                   f"{self.output()[-2000:]}")
            if app.control.ping(destination=[self.node], timeout=0.5):
                return
        raise ServiceError(f"`{self.name}` did not answer a ping in {timeout:.0f} s:\n{self.output()[-2000:]}")


def redis_benchmark(port: int, n: int, pipeline: int = 1) -> float:
    """`redis-benchmark -t lpush -c 1` (one client), optionally pipelined: requests per second."""
    argv = [str(paths.redis_bin("redis-benchmark")), "-p", str(port), "-t", "lpush", "-n", str(n), "-c", "1",
            "-P", str(pipeline), "--csv"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout
    rows = list(csv.DictReader(out.splitlines()))
    return float(rows[0]["rps"])


def redis_py_rates(r, n: int, batch: int = 100) -> tuple[float, float]:
    """redis-py, one client: n messages LPUSHed one at a time then BRPOPed one at a time; the same with
    pipelines of `batch` commands (messages per second, each way and back)."""
    message = b'{"task": "perf.tick"}'
    t = time.perf_counter()
    for _ in range(n):
        r.lpush("raw:queue", message)
    for _ in range(n):
        r.brpop(["raw:queue"], timeout=5)
    one = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for start in range(0, n, batch):
        pipe = r.pipeline(transaction=False)
        for _ in range(min(batch, n - start)):
            pipe.lpush("raw:queue", message)
        pipe.execute()
    for start in range(0, n, batch):
        r.rpop("raw:queue", min(batch, n - start))
    return one, n / (time.perf_counter() - t)


def incr_rate(r, n: int) -> float:
    """redis-py, one client: n INCRs one at a time, the command `tick` runs (per second)."""
    t = time.perf_counter()
    for _ in range(n):
        r.incr("raw:count")
    return n / (time.perf_counter() - t)


def burst(r, tick, rung: Rung, n: int, queue: str) -> float:
    """Send n ticks to the rung's queue and wait until all are done: tasks (or, in chunks, calls) per second."""
    r.delete("perf:done")
    t = time.perf_counter()
    if rung.chunk:
        tick.chunks([()] * n, rung.chunk).apply_async(queue=queue, ignore_result=True)
        end = wait_count(r, n)
    elif rung.results:
        pending = [tick.apply_async(queue=queue) for _ in range(n)]
        for result in pending:
            result.get(timeout=300)
        end = time.perf_counter()
    else:
        for _ in range(n):
            tick.apply_async(queue=queue, ignore_result=True)
        end = wait_count(r, n)
    return n / (end - t)


def round_trips(tick, n: int, queue: str) -> list[float]:
    """n calls of `tick.delay().get()` (to the rung's queue), one after the other: seconds each."""
    return timings(lambda: tick.apply_async(queue=queue).get(timeout=30), n)


def publish_only(r, tick, n: int) -> float:
    """No worker consuming: how fast one client can send n ticks (then the queue is emptied)."""
    t = time.perf_counter()
    for _ in range(n):
        tick.apply_async(queue="publish-only", ignore_result=True)
    rate = n / (time.perf_counter() - t)
    r.delete("publish-only")
    return rate


def drain(r, tick, worker: BenchWorker, n: int) -> float:
    """No client running: n ticks queued first, on a queue no worker consumes, then the top rung's worker told
    to consume it too (remote control: add_consumer); from its first task done to its last, tasks per second."""
    r.delete("perf:done", "drain")
    for _ in range(n):
        tick.apply_async(queue="drain", ignore_result=True)
    tick.app.control.add_consumer("drain", destination=[worker.node], reply=True, timeout=10)
    try:
        deadline = time.monotonic() + 120
        while not int(r.get("perf:done") or 0):
            if not worker.alive() or time.monotonic() > deadline:
                raise ServiceError(f"the draining worker did no task:\n{worker.output()[-2000:]}")
            time.sleep(0.002)
        first, t = int(r.get("perf:done")), time.perf_counter()
        end = wait_count(r, n)
    finally:
        tick.app.control.cancel_consumer("drain", destination=[worker.node], reply=True, timeout=10)
    return (n - first) / (end - t) if end > t else float("nan")


def rung_env(rung: Rung, env: dict[str, str]) -> dict[str, str]:
    """The rung's worker environment: with hiredis importable (.venv/hiredis first on PYTHONPATH) or not."""
    if not rung.hiredis:
        return env
    if not (HIREDIS / "hiredis").is_dir():
        raise ServiceError(f"hiredis is not installed in {HIREDIS.relative_to(paths.REPO)}: run `make venv` "
                           "(lesson 04; make bench runs it)")
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(HIREDIS), env.get("PYTHONPATH")]))}


def parser(env: dict[str, str]) -> str:
    """The parser redis-py picks in a process with this environment: `hiredis X.Y.Z` or `Python`."""
    code = ("import redis.utils as u\n"
            "print('hiredis ' + __import__('hiredis').__version__ if u.HIREDIS_AVAILABLE else 'Python')")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


def io_bound(r, app, n: int, worker: BenchWorker) -> float:
    """slow.wait(WAIT_MS) n times on a pool's worker (results ignored): tasks per second."""
    r.delete("perf:done")
    t = time.perf_counter()
    for _ in range(n):
        app.send_task("slow.wait", (WAIT_MS,), queue=worker.queue, ignore_result=True)
    return n / (wait_count(r, n) - t)


def profile_chunks(r, tick, rung: Rung, n: int, env: dict[str, str], work: Path, prof: Path) -> tuple[dict, dict]:
    """The chunks rung once more, its worker under cProfile (lesson 15's profiled.py: noack's app, profiled
    from its first task on), the profile written to PROF: the shares of its time, and per message, how many
    calls of tick it made and how many commands it sent to Redis."""
    prof.unlink(missing_ok=True)
    worker = BenchWorker("profiled", "profiled", rung.worker, {**env, "PROFILE": str(prof)}, work)
    try:
        worker.start_and_wait(tick.app)
        burst(r, tick, rung, n, worker.queue)
    finally:
        worker.stop()  # SIGTERM: worker_shutting_down, and profiled.py writes its profile
    if not prof.exists():
        raise ServiceError(f"the profiled worker wrote no profile:\n{worker.output()[-2000:]}")
    stats = profiling.load(prof)
    messages = -(-n // rung.chunk)
    per_message = {"calls of tick": profiling.calls(stats, "/perf.py", "tick") / messages,
                   "Redis commands": profiling.calls(stats, "/redis/connection.py", "send_packed_command") / messages}
    return profiling.shares(stats), per_message


def profile_trips(tick, trips: int, queue: str, prof: Path) -> dict:
    """The client's get() round trips (to QUEUE's worker), under cProfile in this process (the profile written
    to PROF): the shares of its time."""
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(trips):
        tick.apply_async(queue=queue).get(timeout=30)
    profiler.disable()
    profiler.create_stats()
    profiler.dump_stats(prof)
    return profiling.shares(profiler.stats)


def raw_redis(figures: Figures, r, port: int, tasks: int, trips: int) -> list[float]:
    """One round of raw Redis: redis-benchmark, redis-py one message at a time and pipelined, INCR, and the
    LPUSH → echo → BRPOP round trip (its samples returned, in seconds)."""
    raw = figures.raw
    figures.add(raw, "redis-benchmark LPUSH", redis_benchmark(port, max(tasks * 10, 1000)))
    figures.add(raw, "redis-benchmark -P 16", redis_benchmark(port, max(tasks * 30, 3000), 16))
    one, piped = redis_py_rates(r, tasks)
    figures.add(raw, RAW_ONE, one)
    figures.add(raw, "redis-py, pipelined", piped)
    figures.add(raw, "redis-py INCR", incr_rate(r, tasks * CHUNK_BURST))  # as many as the chunks rung's burst
    samples = echo_trips(r, port, lambda fn: timings(fn, trips))
    figures.raw_trip.append(summary(samples))
    return samples


@dataclass
class OwnRedis:
    """A benchmark's Redis and lesson 15's app on it (courselab.ladder.own_redis)."""
    work: Path  # Redis's folder and the workers' logs
    services: Services  # what the benchmark starts, stopped by PID when its stack closes
    port: int
    url: str
    r: object  # a redis-py client of it
    env: dict[str, str]  # the environment of a worker of lesson 15's app, pointed at it
    app: object  # lesson 15's app (perf.py), pointed at it
    tick: object


def own_redis(stack: contextlib.ExitStack, prefix: str) -> OwnRedis:
    """On `stack`: a folder of its own under .run/bench (removed last, once everything in it has stopped), the
    course's Redis on loopback on a free port with nothing on disk, and lesson 15's app pointed at it."""
    import redis

    (paths.RUN / "bench").mkdir(parents=True, exist_ok=True)
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix, dir=paths.RUN / "bench")))
    services = stack.enter_context(Services())
    port = free_port()
    services.add(RedisServer(port, work, extra=("--save", "", "--appendonly", "no")))
    url = f"redis://localhost:{port}/0"
    # perf.py reads its URLs when imported, here and in every worker: from these two variables
    stack.enter_context(mock.patch.dict(os.environ, {"CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url}))
    env = lessonapp.lesson_env(paths.lesson_dir(LESSON), "perf")
    app = stack.enter_context(lessonapp.lesson_app(paths.lesson_dir(LESSON), "perf"))
    return OwnRedis(work, services, port, url, redis.Redis(port=port), env, app, app.tasks["perf.tick"])


def measure(tasks: int, trips: int, chunk: int, rounds: int = 5, progress=None, profiles: Path = FIGURES.parent
            ) -> tuple[Figures, list[Rung]]:
    """The whole ladder, in `rounds` interleaved rounds, on a Redis of its own (the course's build, loopback, a
    free port, nothing on disk); the profiles of "Where the time goes" are kept in the folder `profiles`
    (worker-chunks.prof, client-get.prof)."""
    say = progress or (lambda text: None)
    figures = Figures(tasks=tasks, trips=trips, chunk=chunk, rounds=rounds)
    ladder = rungs(chunk)
    profiles.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        bench = own_redis(stack, "ladder-")
        work, services, port, r, env, app, tick = (bench.work, bench.services, bench.port, bench.r, bench.env,
                                                   bench.app, bench.tick)

        say(f"{len(ladder)} rungs' workers and {len(POOLS)} pools' workers, started once, each on its own queue")
        found: dict[bool, str] = {}  # redis-py's parser, without hiredis and with
        workers: list[BenchWorker] = []
        for i, rung in enumerate(ladder):
            rung_environ = rung_env(rung, env)
            if rung.hiredis not in found:
                found[rung.hiredis] = parser(rung_environ)
            figures.parsers[rung.name] = found[rung.hiredis]
            workers.append(services.add(BenchWorker(f"rung{i}", rung.app, rung.worker, rung_environ, work)))
        pools = [services.add(BenchWorker(f"io-{name.split()[0]}", "slow", QUIET + options, env, work))
                 for name, options, _concurrency in POOLS]
        for worker in workers + pools:
            worker.wait_ready(app)
        top = top_rung(ladder)
        top_worker = workers[ladder.index(top)]

        figures.io_tasks = max(20, tasks // 10)  # the I/O-bound task's burst, on each pool, in each round
        samples: dict[str, list[float]] = {}  # every round's round trips, per rung and raw Redis: for the p99
        for k in range(rounds):
            say(f"round {k + 1} of {rounds}: raw Redis, Celery's ceilings, the rungs from {k % len(ladder)}, "
                "the pools")
            samples.setdefault(RAW_ONE, []).extend(raw_redis(figures, r, port, tasks, trips))
            figures.add(figures.ceilings, "publish only", publish_only(r, tick, tasks))
            figures.add(figures.ceilings, "drain", drain(r, tick, top_worker, tasks))
            # the rungs in a rotated order: the first of a round is another rung each round
            for i in [*range(k % len(ladder), len(ladder)), *range(k % len(ladder))]:
                rung, worker = ladder[i], workers[i]
                tick.apply_async(queue=worker.queue).get(timeout=30)  # warm up: connections, pool processes
                n = tasks * CHUNK_BURST if rung.chunk else tasks
                figures.add(figures.rates, rung.name, burst(r, tick, rung, n, worker.queue))
                if not rung.chunk:
                    trip = round_trips(tick, trips, worker.queue)
                    figures.add(figures.trips_ms, rung.name, summary(trip))
                    samples.setdefault(rung.name, []).extend(trip)
            for (name, _options, _concurrency), worker in zip(POOLS, pools, strict=True):
                figures.add(figures.io_rates, name, io_bound(r, app, figures.io_tasks, worker))
        # the rates in the ladder's order (a round rotated them)
        figures.rates = {x.name: figures.rates[x.name] for x in ladder}
        figures.trips_ms = {x.name: figures.trips_ms[x.name] for x in ladder if not x.chunk}
        figures.p99_ms = {name: summary(samples[name])["p99_ms"] for name in [RAW_ONE, *figures.trips_ms]}

        say(f"where the time goes: the client's get() on {top.name.lstrip('+ ')}, the chunks rung's worker, "
            "under cProfile")
        figures.client_shares = profile_trips(tick, trips, top_worker.queue, profiles / "client-get.prof")
        for worker in workers + pools:
            services.stop(worker)
        chunks = chunks_rung(ladder)
        figures.worker_shares, figures.per_message = profile_chunks(r, tick, chunks, tasks, rung_env(chunks, env),
                                                                    work, profiles / "worker-chunks.prof")
    return figures, ladder
