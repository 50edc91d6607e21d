"""The notebooks' helper: start what a lesson needs, and stop it again, whatever happens.

    from courselab.lab import Lab
    lab = Lab("05-single-module-app")
    r = lab.redis()                      # the course's redis-server on a free loopback port
    worker = lab.worker("05", "server")  # `celery -A server worker --loglevel=info` in lessons/05-...
    beat = lab.beat("11", "timing")      # `celery -A timing beat --loglevel=info`, its schedule in a scratch folder
    flower = lab.flower()                # lesson 12's `bash flower.sh` on a free port, its password in a scratch home
    lab.use_lesson("06", "server")       # so that `from server import add` works in the notebook
    ...
    scratch = lab.scratch()              # a private folder of its own, removed by lab.stop()
    lab.stop()                           # last cell

A notebook's Redis listens on a free port, never on 6379: a Redis you started yourself for the
lessons is left alone, and two notebooks can run side by side. Everything is stopped by PID (and
every scratch folder removed) when `lab.stop()` runs, when the kernel shuts down (atexit), on
SIGTERM, and — if the kernel is killed outright — by the kernel's death itself (the children are
asked to die with it; a scratch folder is then left in /tmp).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from . import lessonapp, paths
from .services import Beat, Flower, RedisServer, Services, Web, Worker, free_port


class Lab:
    def __init__(self, name: str):
        self.name = name
        self.services = Services()
        self.port = free_port()
        while self.port == paths.DEFAULT_PORT:  # 6379 is the learner's own
            self.port = free_port()
        self.redis_server: RedisServer | None = None
        os.environ["CELERY_LAB_REDIS_PORT"] = str(self.port)
        for var in lessonapp.ENV_URLS:
            os.environ.pop(var, None)
        self._imported: set[str] = set()
        self._scratch: list[Path] = []
        self._hosts = None  # lesson 16's network namespaces, once made
        atexit.register(self.stop)
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum, frame):
            self.stop()
            if callable(previous):
                previous(signum, frame)
            else:
                raise SystemExit(143)

        signal.signal(signal.SIGTERM, on_sigterm)

    # --- services ------------------------------------------------------------------------------

    def redis(self):
        """Start the course's redis-server (lesson 03's redis.conf) and return a client for it."""
        import redis

        if self.redis_server is None:
            workdir = paths.RUN / "notebooks" / f"{self.name}-{self.port}"
            self.redis_server = self.services.add(RedisServer(self.port, workdir))
            print(f"redis-server {paths.redis_prefix()}/bin/redis-server on 127.0.0.1:{self.port} "
                  f"(pid {self.redis_server.pid}, dir {workdir.relative_to(paths.REPO)})")
        return redis.Redis(port=self.port, decode_responses=True)

    def another_redis(self, conf: Path, *extra: str, port: int | None = None) -> RedisServer:
        """A second redis-server from the course's build, from `conf` with `extra` arguments after it (lesson 14:
        broker.conf --appendonly yes), on a free port or `port` (to start it again where it was, with its files)."""
        port = port or free_port()
        workdir = paths.RUN / "notebooks" / f"{self.name}-{port}"
        server = self.services.add(RedisServer(port, workdir, conf=conf, extra=extra))
        print(f"$ redis-server {conf.relative_to(paths.REPO)} {' '.join(extra)}   # port {port}, pid {server.pid}")
        return server

    def worker(self, lesson: str, app: str, *extra: str) -> Worker:
        """A real `celery -A <app> worker --loglevel=info` in the lesson's folder; waits for 'ready.'."""
        folder = paths.lesson_dir(lesson)
        worker = self.services.add(Worker(folder, app, extra=extra))
        print(f"$ cd {folder.relative_to(paths.REPO)} && {' '.join(['celery', *worker.argv[1:]])}"
              f"   # pid {worker.pid}, ready")
        return worker

    def beat(self, lesson: str, app: str) -> Beat:
        """A real `celery -A <app> beat --loglevel=info`, its schedule file in a scratch folder of its own."""
        beat = self.services.add(Beat(paths.lesson_dir(lesson), app, self.scratch() / "celerybeat-schedule"))
        print(f"$ cd {paths.lesson_dir(lesson).relative_to(paths.REPO)} && celery -A {app} beat --loglevel=info"
              f"   # pid {beat.pid}, started")
        return beat

    def flower(self) -> Flower:
        """Lesson 12's `bash flower.sh` (127.0.0.1, basic auth) on a free port; its password file in a scratch
        home of its own (flower.password), not in yours."""
        flower = self.services.add(Flower(free_port(), self.scratch()))
        print(f"$ cd lessons/12-monitoring && bash flower.sh --port={flower.port}"
              f"   # pid {flower.pid}, on 127.0.0.1 behind a password")
        return flower

    def web(self) -> Web:
        """Lesson 20's `bash web.sh` (gunicorn on 127.0.0.1, behind a password) on a free port: its password file in a
        scratch home of its own, its database (FLASK_DATABASE) there too. Start the worker after it: the worker
        reads the same FLASK_DATABASE."""
        home = self.scratch()
        os.environ["FLASK_DATABASE"] = str(home / "signups.sqlite")
        web = self.services.add(Web(free_port(), home))
        print(f"$ cd lessons/20-web-app && bash web.sh {web.port}   # pid {web.pid}, on 127.0.0.1 behind a password")
        return web

    def hosts(self):
        """Lesson 16's hosts (hosts.sh up), named apart from yours, with certs.sh's and users.sh's files in a scratch
        home of their own; lab.stop() removes them (hosts.sh down)."""
        from .hosts import Hosts

        if self._hosts is None:
            hosts = Hosts(f"nb{os.getpid()}", self.scratch())
            self._hosts = hosts.__enter__()
            print(f"$ ./hosts.sh up && ./certs.sh && ./users.sh   # hosts {hosts.prefix}-*")
        return self._hosts

    def tls_redis(self):
        """Lesson 16's Redis on the redis host: TLS only, the users of users.acl (the course's build, with TLS)."""
        from .hosts import TLSRedis

        server = self.services.add(TLSRedis(self.hosts()))
        print(f"$ ./on.sh redis redis-server redis.conf   # pid {server.pid}, TLS on 10.150.15.10:6379")
        return server

    def replicated_redis(self) -> list:
        """Lesson 18: ha.sh, the primary (redis host), its replica (w1), a Sentinel on redis, w1 and w2."""
        from .hosts import replicated_redis

        started = [self.services.add(process) for process in replicated_redis(self.hosts())]
        print("$ ./ha.sh")
        for process in started:
            print(f"$ ./on.sh {process.argv[1]} {' '.join(Path(a).name for a in process.argv[2:])}   "
                  f"# {process.name}, pid {process.pid}")
        return started

    def host_worker(self, host: str, lesson: str, app: str, *extra: str, supervised: bool = False) -> Worker:
        """A real `celery -A <app> worker` on one of lesson 16's hosts (on.sh), under the lesson's supervise.sh if
        `supervised`; waits for 'ready.'."""
        hosts = self.hosts()
        under = ("./supervise.sh",) if supervised else ()
        worker = self.services.add(Worker(paths.lesson_dir(lesson), app, extra=extra, env=hosts.env(),
                                          on=hosts.on(host, *under)))
        print(f"$ ./on.sh {host} {' '.join(under + ('celery',))} -A {app} worker --loglevel=info {' '.join(extra)}"
              f"   # pid {worker.pid}, ready")
        return worker

    def on(self, host: str, *argv: str, cwd: Path | None = None) -> str:
        """Run a command on one of lesson 16's hosts, in lesson 16's folder (or `cwd`), as on.sh does: what it
        printed."""
        from .hosts import LESSON

        done = self.hosts().run(host, *argv, cwd=cwd or LESSON)
        out = done.stdout + done.stderr
        shown = " ".join("python" if a == sys.executable else a for a in argv)
        print(f"$ ./on.sh {host} {shown}\n{out}", end="" if out.endswith("\n") else "\n")
        return out

    def stop_worker(self, worker: Worker) -> None:
        self.services.stop(worker)
        print(f"stopped {worker.name} (pid {worker.pid}), exit status {worker.proc.returncode}")

    def scratch(self) -> Path:
        """A private folder (mode 0700) for this notebook's throw-away files; lab.stop() removes it."""
        folder = Path(tempfile.mkdtemp(prefix=f"celery-lab-{self.name}-"))
        self._scratch.append(folder)
        return folder

    # --- lesson code in the notebook -----------------------------------------------------------

    def use_lesson(self, lesson: str, module: str, broker: str | None = None) -> Path:
        """Make `import <module>` load the lesson's code, pointed at this notebook's Redis.

        Like running `python client.py` in the lesson's folder: the folder goes first on
        sys.path, and Celery's CELERY_BROKER_URL / CELERY_RESULT_BACKEND name our port (set
        before the import, since Celery reads them when it is configured). Modules of an earlier
        lesson with the same names (server, app, config) are forgotten first. `broker`: the messages go
        through that Redis instead (lesson 14, section 1), the results stay.
        """
        folder = paths.lesson_dir(lesson)
        for name in self._imported:
            sys.modules.pop(name, None)
        for entry in [p for p in sys.path if p.startswith(str(paths.LESSONS))]:
            sys.path.remove(entry)
        before = set(sys.modules)
        env = lessonapp.lesson_env(folder, module, base={} if broker is None else {"CELERY_BROKER_URL": broker})
        for var in lessonapp.ENV_URLS:
            if var in env:
                os.environ[var] = env[var]
        sys.path.insert(0, str(folder))
        __import__(module)
        self._imported = (set(sys.modules) - before) | {module}
        return folder

    def sh(self, command: str, cwd: Path | str | None = None, check: bool = True) -> str:
        """Run a shell command as a lesson shows it, with the course's Redis tools first on PATH."""
        env = {**os.environ, "PATH": f"{paths.redis_prefix() / 'bin'}:{Path(sys.executable).parent}:"
               f"{os.environ.get('PATH', '')}"}
        proc = subprocess.run(command, shell=True, cwd=cwd or paths.REPO, env=env, capture_output=True, text=True,
                              timeout=600)
        out = proc.stdout + proc.stderr
        print(f"$ {command}\n{out}", end="" if out.endswith("\n") else "\n")
        if check and proc.returncode != 0:
            raise RuntimeError(f"`{command}` exited {proc.returncode}")
        return out

    def cli(self, *args: str) -> str:
        """redis-cli against this notebook's Redis (shown as the lesson would type it)."""
        proc = subprocess.run([str(paths.redis_bin("redis-cli")), "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=60)
        print(f"$ redis-cli {' '.join(args)}\n{proc.stdout}{proc.stderr}", end="")
        return proc.stdout.strip()

    # --- the end -------------------------------------------------------------------------------

    def stop(self) -> None:
        started = list(self.services.started)
        self.services.close()
        for process in reversed(started):
            print(f"stopped {process.name} (pid {process.pid})")
        self.redis_server = None
        if self._hosts is not None:
            self._hosts.__exit__(None, None, None)
            print(f"removed the hosts {self._hosts.prefix}-* (hosts.sh down)")
            self._hosts = None
        os.environ.pop("FLASK_DATABASE", None)  # web()'s
        while self._scratch:
            folder = self._scratch.pop()
            shutil.rmtree(folder, ignore_errors=True)
            print(f"removed {folder}")
