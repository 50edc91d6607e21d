"""Start and stop the real processes the lessons use: redis-server, celery workers and beats, Flower.

Every process is started by us, remembered by its PID, and stopped by that PID (its whole
process group for a worker, whose pool children share it) — never by name. `Services` is a
context manager: whatever it started is stopped when the block ends, also on an exception or
Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import lessonapp, paths, stages

# Each child gets SIGTERM when its parent (the tour, a test, a notebook's kernel) dies, even by
# SIGKILL: util-linux's setpriv sets the parent-death signal (prctl PR_SET_PDEATHSIG) and execs the
# command, which keeps its PID. (Not a preexec_fn: that runs Python between fork and exec, unsafe
# in a process with threads.)
DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "TERM", "--"]


class ServiceError(RuntimeError):
    """A process did not come up. The message names the cause and the lesson section that fixes it."""


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def explain(text: str, lesson: str, app: str = "server") -> str:
    """Turn error text into 'hint -> lesson section' using stages.toml's causes ('' if unknown)."""
    cause = stages.load().match_cause(text)
    return cause.explain(lesson, app) if cause else ""


class Process:
    """One child process with its log file, stopped by PID."""

    def __init__(self, name: str, argv: list[str], cwd: Path, log: Path, env: dict | None = None):
        self.name, self.argv, self.cwd, self.log, self.env = name, argv, cwd, log, env
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([*DIE_WITH_PARENT, *self.argv], cwd=self.cwd, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM to the process group (warm shutdown for a worker), SIGKILL if it lingers.

        The group is signalled even when the main process has already ended: a worker killed
        outright leaves its pool children behind, and they are still in its group (whose number
        is the main process's PID, which the kernel does not reuse while the group has members).
        """
        if self.proc is None:
            return
        group = self.proc.pid
        if self.proc.poll() is None:
            _signal_group(group, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                self.proc.wait(timeout=5)
        # whatever is left of the group: pool children of a main process that died first. Only while it has
        # members: the kernel reuses no PID that numbers a live group, but an empty group's number may by now
        # be a new process's, or its group's.
        if group_members(group):
            _signal_group(group, signal.SIGKILL)

    def kill_tree(self) -> None:
        """SIGKILL to the main process and every process below it, each by its PID, at once — as a machine that is
        gone, or the kernel ending a container, would end them all (a child in a process group of its own, as RQ's
        work horse, included) — and reap the main process."""
        if self.proc is not None and self.proc.poll() is None:
            for pid in [self.proc.pid, *descendants(self.proc.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:  # nobody left in it
        pass


def proc_stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after "pid (comm) ": state, ppid, pgrp, ... (None: the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # ended meanwhile
        return None
    return stat[stat.rindex(")") + 2:].split()


def alive(pid: int | str) -> bool:
    """Running, not a zombie (a zombie has ended and only waits to be reaped)."""
    fields = proc_stat(pid)
    return fields is not None and fields[0] != "Z"


def descendants(pid: int) -> list[int]:
    """PIDs of the live processes below pid (children, theirs, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := proc_stat(entry.name)) and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def group_members(group: int) -> list[int]:
    """PIDs of the live (not zombie) processes in a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := proc_stat(entry.name)) and fields[0] != "Z" \
                and int(fields[2]) == group:
            members.append(int(entry.name))
    return members


class RedisServer(Process):
    """redis-server from the course's build, with lesson 03's redis.conf (or another), on a chosen port;
    `extra` arguments after the file override it as on a learner's command line (--appendonly yes)."""

    def __init__(self, port: int, workdir: Path, conf: Path | None = None, extra: tuple[str, ...] = ()):
        conf = conf or paths.lesson_dir("03") / "redis.conf"
        argv = [str(paths.redis_bin()), str(conf), *extra, "--port", str(port), "--dir", str(workdir)]
        super().__init__("redis-server", argv, workdir, workdir / "redis.log")
        self.port = port

    def start(self, timeout: float = 15.0) -> None:
        if not os.access(paths.redis_bin(), os.X_OK):
            why = stages.load().causes["not-built"].explain("02-build-redis")
            raise ServiceError(f"no Redis at {paths.redis_bin()}\n  {why}")
        self.cwd.mkdir(parents=True, exist_ok=True)
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServiceError(f"redis-server exited at start:\n{self.output()[-2000:]}")
            if "Ready to accept connections" in self.output():
                return
            time.sleep(0.05)
        raise ServiceError(f"redis-server did not get ready in {timeout:.0f} s:\n{self.output()[-2000:]}")


class Worker(Process):
    """`celery -A <app> worker --loglevel=info` in a lesson folder, as the lesson runs it."""

    def __init__(self, folder: Path, app: str, extra: tuple[str, ...] = (), name: str | None = None,
                 env: dict | None = None, on: list[str] | None = None):
        """`env`: its environment, instead of the lesson's against the course's Redis; `on`: the command line it runs
        under (lesson 16's on.sh HOST)."""
        celery = Path(sys.executable).with_name("celery")
        argv = [*(on or []), str(celery), "-A", app, "worker", "--loglevel=info", *extra]
        log = paths.RUN / "logs" / f"worker-{folder.name}-{app}-{os.getpid()}-{time.monotonic_ns()}.log"
        super().__init__(name or f"celery -A {app} worker", argv, folder, log,
                         env if env is not None else lessonapp.lesson_env(folder, app))
        self.folder, self.app = folder, app

    def start(self, timeout: float = 60.0) -> None:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output()
            if not self.alive():
                why = explain(text, self.lesson, self.app)
                raise ServiceError(f"`{' '.join(self.argv[1:])}` in {self.folder} exited with status "
                                   f"{self.proc.returncode}:\n{_tail(text)}\n" + (why or "(unrecognised error)"))
            if " ready." in text:
                return
            if "Cannot connect to" in text:  # the broker is down: the worker would retry forever
                self.stop()
                raise ServiceError(f"{self.name} cannot reach its broker:\n{_tail(text, 3)}\n"
                                   + explain(text, self.lesson, self.app))
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"{self.name} did not get ready in {timeout:.0f} s:\n{_tail(self.output())}\n"
                           + explain(self.output(), self.lesson, self.app))

    @property
    def lesson(self) -> str:
        inside = [p.name for p in [self.folder, *self.folder.parents] if p.parent == paths.LESSONS]
        return inside[0] if inside else str(self.folder)


class Beat(Process):
    """`celery -A <app> beat --loglevel=info` in a lesson folder, its schedule file in `schedule`."""

    def __init__(self, folder: Path, app: str, schedule: Path):
        celery = Path(sys.executable).with_name("celery")
        argv = [str(celery), "-A", app, "beat", "--loglevel=info", "-s", str(schedule)]
        log = schedule.with_name(f"{schedule.name}.log")
        super().__init__(f"celery -A {app} beat", argv, folder, log, lessonapp.lesson_env(folder, app))

    def start(self, timeout: float = 60.0) -> None:
        super().start()
        deadline = time.monotonic() + timeout
        while "beat: Starting..." not in self.output():
            if not self.alive() or time.monotonic() > deadline:
                self.stop()
                raise ServiceError(f"{self.name} did not start:\n{_tail(self.output())}")
            time.sleep(0.1)


def http_request(port: int, path: str, password: str | None = None, form: dict | None = None,
                 timeout: float = 10) -> tuple[int, bytes]:
    """GET (or with `form`, POST) a path of a lesson's web page on 127.0.0.1:`port` — Flower (lesson 12), the
    Flask app (lesson 20) — logged in as their user `learner` when a password is given: (HTTP status, body).
    A refused or silent port raises URLError / TimeoutError."""
    import base64
    import urllib.error
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data)
    if password is not None:
        token = base64.b64encode(f"learner:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Flower(Process):
    """Lesson 12's `bash flower.sh` (Flower on 127.0.0.1 behind basic auth) on a chosen port; `home` is the
    HOME it keeps its password file in (~/.config/celery-lab/flower-password)."""

    def __init__(self, port: int, home: Path, lesson: str = "12"):
        folder = paths.lesson_dir(lesson)
        env = {**lessonapp.lesson_env(folder, "watched"), "HOME": str(home)}
        # flower.sh runs `celery` and `python`: the venv's, as after `source .venv/bin/activate`
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', os.defpath)}"
        log = home / f"flower-{port}.log"
        super().__init__("bash flower.sh", ["bash", "flower.sh", f"--port={port}"], folder, log, env)
        self.port, self.home = port, home

    @property
    def password(self) -> str:
        return paths.password_file("flower", self.home).read_text().strip()

    def get(self, path: str, login: bool = True) -> tuple[int, bytes]:
        """GET a page or API path of this Flower, logged in as learner or not: (HTTP status, body)."""
        return http_request(self.port, path, self.password if login else None)

    def wait_for_events(self, timeout: float = 30.0) -> None:
        """Until Flower hears the workers' events (a heartbeat comes every 2 s): it learns of a task only from
        the events sent after it subscribed, a moment after its `Connected to redis`."""
        import json

        deadline = time.monotonic() + timeout
        while not json.loads(self.get("/workers?json=1")[1] or b"{}").get("data"):
            if time.monotonic() > deadline:
                raise ServiceError(f"{self.name} heard no worker's events in {timeout:.0f} s")
            time.sleep(0.2)

    def start(self, timeout: float = 60.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        super().start()
        deadline = time.monotonic() + timeout
        while "Connected to redis" not in self.output():
            if not self.alive() or time.monotonic() > deadline:
                self.stop()
                raise ServiceError(f"{self.name} did not start:\n{_tail(self.output())}")
            time.sleep(0.1)


class Web(Process):
    """Lesson 20's `bash web.sh PORT` (gunicorn on 127.0.0.1, the Flask page behind basic auth), from `folder`
    (the lesson's, or a copy); `home` is the HOME it keeps its password file in (~/.config/celery-lab/web-password)."""

    def __init__(self, port: int, home: Path, folder: Path | None = None):
        folder = folder or paths.lesson_dir("20")
        env = {**lessonapp.lesson_env(folder, "make_celery"), "HOME": str(home)}
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', os.defpath)}"  # the venv's gunicorn
        super().__init__("bash web.sh", ["bash", "web.sh", str(port)], folder, home / f"web-{port}.log", env)
        self.port, self.home = port, home

    @property
    def password(self) -> str:
        return paths.password_file("web", self.home).read_text().strip()

    def start(self, timeout: float = 60.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        super().start()
        deadline = time.monotonic() + timeout
        while "Listening at: " not in self.output() or "Booting worker" not in self.output():
            if not self.alive() or time.monotonic() > deadline:
                self.stop()
                raise ServiceError(f"{self.name} did not start:\n{_tail(self.output())}")
            time.sleep(0.1)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


class Services:
    """Starts processes and stops them all, in reverse order, when the `with` block ends."""

    def __init__(self) -> None:
        self.started: list[Process] = []

    def __enter__(self) -> Services:
        return self

    def add(self, process: Process, **start_args) -> Process:
        self.started.append(process)
        process.start(**start_args)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        if process in self.started:
            self.started.remove(process)

    def close(self) -> None:
        while self.started:
            self.started.pop().stop()

    def __exit__(self, *exc) -> None:
        self.close()
