"""The learner's world a play happens in: which path, which isolation, which terminals.

Host path (no VM): the lessons type their literal commands, port 6379 included. Where the runner can
make a private network namespace (root, or a user namespace), they get one: 6379 there is theirs
and nothing else on the machine is touched, and the host name is celery-lab. Where it cannot, and
6379 is free on this machine, they use this machine's loopback and say so; where 6379 is taken
too, the play stops and says what to do. The learner's home folder is a fresh temporary one
holding the clone as ~/celery-lab (a link to this repository).

VM path: inside the course's VM the lessons use the VM's redis service on 6379; the terminals are
the vagrant user's own, in its home folder, where provisioning linked ~/celery-lab to /vagrant.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

from . import normalize, paths, stages
from .services import port_free
from .terminals import TerminalError, Terminals, can_isolate


class WorldError(RuntimeError):
    """No world the lessons can be played in here; says why and what to do."""


class World:
    def __init__(self, path: str, log=print):
        self.path = path
        self.log = log
        self.note = ""
        if path == "vm":
            self.isolation = "plain"
            home = Path.home()
            if not (home / "celery-lab").exists():
                raise WorldError(f"{home}/celery-lab is missing: provisioning links it to /vagrant "
                                 "(`vagrant provision` from the host)")
            self.terminals = Terminals("plain", home=home)
            self.note = "VM path: the VM's own terminals and its redis service on 6379."
            return
        ok, why = can_isolate()
        if os.environ.get("CELERY_LAB_PLAY_ISOLATION") == "plain":  # the tests' way to see the other case
            ok, why = False, "CELERY_LAB_PLAY_ISOLATION=plain"
        self.why = why
        if ok:
            self.isolation = "netns"
            self.note = (f"Host path, in a private network namespace ({why}): port 6379 there is the lessons' own, "
                         "nothing else on this machine is touched.")
        elif port_free(paths.DEFAULT_PORT):
            self.isolation = "plain"
            self.note = (f"Host path on this machine's own loopback (no private namespace here: {why}); "
                         "port 6379 is free, so the lessons use it.")
        else:
            raise WorldError(
                f"The lessons use port 6379, which is taken on this machine, and no private network namespace can be "
                f"made here ({why}). Stop what listens on 6379 (`ss -ltnp 'sport = :6379'` shows it), or run as root, "
                "or allow user namespaces (sysctl kernel.unprivileged_userns_clone=1) — then play again.")
        self.terminals = Terminals(self.isolation)

    def describe(self) -> str:
        holder = self.terminals.holder
        return self.note + (f" (namespaces held by pid {holder.pid})" if holder else "")

    def checker(self) -> list[str]:
        """The stage table, as `make check` would print it in a terminal of this world."""
        try:
            number = self.terminals.type("checker", ["~/celery-lab/.venv/bin/python ~/celery-lab/scripts/check.py"])
            self.terminals.wait_done("checker", number, 120)
            lines = self.terminals.terms["checker"].outputs().get(number, [])
        except TerminalError as e:
            return [f"(the stage checker could not run: {e})"]
        return normalize.display("\n".join(lines), self.replacements()).split("\n")

    def cannot_play(self, lesson: Path) -> str:
        """Why this world cannot play `lesson` ("" when it can). A lesson whose stages need root (stages.toml,
        `needs = "root"`: lesson 16's namespaces) plays as root, with sudo, or inside the private namespace,
        where the tour is root; in a container as its normal user it has none of those."""
        if self.path != "host" or not any(s.needs == "root" for s in stages.load().stages if s.lesson == lesson.name):
            return ""
        sudo = shutil.which("sudo")
        sudo_ok = bool(sudo) and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0
        return without_root(lesson.name, self.isolation, os.geteuid(), sudo, sudo_ok, self.why)

    def replacements(self) -> list[tuple[str, str]]:
        """This machine's folders and name, and how the lessons show them."""
        out = [(str(paths.REPO), normalize.DISPLAY_REPO), (str(self.terminals.home), normalize.DISPLAY_HOME)]
        host = socket.gethostname()
        if self.isolation == "plain" and host != normalize.DISPLAY_HOST:
            out.append((f"@{host}", f"@{normalize.DISPLAY_HOST}"))
        return out

    def __enter__(self) -> World:
        self.terminals.start()
        return self

    def __exit__(self, *exc) -> None:
        for line in self.terminals.stop():
            self.log(line)


def without_root(lesson: str, isolation: str, euid: int, sudo: str | None, sudo_ok: bool, why: str) -> str:
    """Why a lesson that takes root cannot be played here ("" when it can): neither root, nor sudo without a
    password, nor the private namespace (whose user is root)."""
    if isolation == "netns" or euid == 0 or sudo_ok:
        return ""
    return (f"{lesson} makes network namespaces, which take root: here you are not root, "
            f"{'sudo asks for a password' if sudo else 'there is no sudo'}, and no private namespace can be made "
            f"({why}), as in the course's container. Follow it on Linux or in the VM: "
            f"lessons/{lesson}/README.md, 'Where' and 'Root'")
