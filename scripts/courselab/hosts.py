"""Lesson 16's hosts: network namespaces made by the lesson's hosts.sh, and commands run on them by on.sh.

Everything is addressed inside namespaces this code created (10.150.15.0/24, on a bridge of their own with
no route out): nothing on this machine's own network, nothing beyond it. Whatever `Hosts` made is
removed when its `with` block ends, also on an exception.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import time
from pathlib import Path

from . import paths
from .services import Process

LESSON = paths.lesson_dir("16")  # the hosts, on.sh, the TLS Redis, the users
FAILOVER = paths.lesson_dir("18")  # ha.sh and the replicated Redis's files
REDIS_ADDRESS = runpy.run_path(str(LESSON / "lan.py"))["REDIS_HOST"]  # the lesson's own (lan.py)


def secrets(home: Path) -> Path:
    """Where certs.sh and users.sh keep lesson 16's certificates, users and passwords, in that home folder."""
    return home / ".config" / "celery-lab" / "several-hosts"


class Hosts:
    """hosts.sh up on enter, hosts.sh down on exit; `prefix` names them apart from a learner's (cl-*)."""

    def __init__(self, prefix: str, home: Path):
        self.prefix, self.home = prefix, home

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a command on these hosts: their prefix, and `home` as the learner's home
        (where certs.sh, users.sh and tlsapp.py keep and find lesson 16's secrets)."""
        return {**os.environ, "CELERY_LAB_HOSTS": self.prefix, "HOME": str(self.home), "PYTHONUNBUFFERED": "1",
                **extra}

    def script(self, name: str, *args: str, folder: Path = LESSON) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(folder / name), *args], env=self.env(), check=True,
                              capture_output=True, text=True)

    def on(self, host: str, *argv: str) -> list[str]:
        """The command line that runs argv on a host, as on.sh does for the learner."""
        return [str(LESSON / "on.sh"), host, *argv]

    def run(self, host: str, *argv: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.on(host, *argv), env=self.env(), capture_output=True, text=True,
                              timeout=timeout, **kwargs)

    def __enter__(self) -> Hosts:
        """hosts.sh up, then the lesson's certificates and users in `home` (certs.sh, users.sh), as sections 1-4."""
        self.script("hosts.sh", "down")  # what a run killed outright (SIGKILL) may have left
        try:
            self.script("hosts.sh", "up")
            self.script("certs.sh")
            self.script("users.sh")
        except BaseException:
            self.script("hosts.sh", "down")
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.script("hosts.sh", "down")


class OnHost(Process):
    """A long-running command of the lesson on one of the hosts, started in the secrets folder as the lesson starts
    Redis and Sentinel there (on.sh execs it: the PID is the command's own); started once its output shows `ready`."""

    def __init__(self, hosts: Hosts, host: str, name: str, argv: list[str], ready: str, log: str):
        folder = secrets(hosts.home)
        super().__init__(name, hosts.on(host, *argv), folder, folder / log, hosts.env())
        self.ready = ready

    def start(self, timeout: float = 20) -> None:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready in self.output():
                return
            if not self.alive():
                raise RuntimeError(f"{self.name} exited at start:\n{self.output()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready in {timeout} s:\n{self.output()[-2000:]}")


class TLSRedis(OnHost):
    """Lesson 16's Redis (the course's build, with TLS; the lesson's redis.conf) on the redis host, started in
    the secrets folder as the lesson starts it; `port` other than 6379: a second one beside it, with its own pid
    file."""

    def __init__(self, hosts: Hosts, port: int = 6379, *extra: str):
        if port != 6379:
            extra = ("--tls-port", str(port), "--pidfile", f"redis-{port}.pid", *extra)
        argv = [str(paths.redis_bin()), str(LESSON / "redis.conf"), *extra]
        super().__init__(hosts, "redis", "redis-server (lesson 16)", argv, "Ready to accept connections",
                         f"redis-{port}.log")


SENTINEL_HOSTS = ("redis", "w1", "w2")


def replicated_redis(hosts: Hosts) -> list[OnHost]:
    """Lesson 18, in the order it starts them: ha.sh's files, the primary on the redis host, its replica on w1
    (started once in sync), and a Sentinel on each of SENTINEL_HOSTS (started once it watches the primary)."""
    hosts.script("ha.sh", folder=FAILOVER)
    return [
        OnHost(hosts, "redis", "the primary (lesson 18)", [str(paths.redis_bin()), "ha-primary.conf"],
               "Ready to accept connections", "ha-primary.log"),
        OnHost(hosts, "w1", "the replica (lesson 18)", [str(paths.redis_bin()), "ha-replica.conf"],
               "MASTER <-> REPLICA sync: Finished with success", "ha-replica.log"),
        *(OnHost(hosts, host, f"the Sentinel on {host} (lesson 18)", [str(paths.redis_bin("redis-sentinel")),
                                                                     f"sentinel-{host}.conf"],
                 "+monitor master lab", f"sentinel-{host}.log") for host in SENTINEL_HOSTS),
    ]
