"""Lesson 21's checks: the worker, beat and Flower as systemd services.

Stage service-units (both paths): the lesson's unit files, as the learner edits them, read the way systemd
reads them (`systemd-analyze verify` where there is one) and held to the lesson's rules for a stop that
loses nothing; none of it runs the learner's code: service.py's task_time_limit is read from its text
(courselab/units.py reads unit files, environment files and the app's settings). Stage services (the VM): the units
installed, running, the service's own worker answering (asked through the lesson's app, as the other lessons' checks
ask theirs), one beat.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
from pathlib import Path

from .. import lessonapp, paths
from ..units import UNITS, UnitError, app_setting, env_file, parse_unit, seconds, setting, verify
from .base import Failed, Stage, check
from .machine import systemctl

UNIT_DIR = Path("/etc/systemd/system")


def _lesson_units(stage: Stage) -> dict[str, tuple[Path, dict]]:
    folder = paths.lesson_dir(stage.lesson)
    units = {}
    for name in UNITS:
        path = folder / f"{name}.service"
        if not path.is_file():
            raise Failed("unit-invalid", f"no {name}.service in {paths.show(folder)}")
        try:
            units[name] = (path, parse_unit(path.read_text()))
        except UnitError as error:
            raise Failed("unit-invalid", f"{name}.service: {error}") from None
    return units


# --- stage: service-units --------------------------------------------------------------------


@check
def units_verified(stage: Stage) -> str:
    units = _lesson_units(stage)
    said = verify([path for path, _ in units.values()])
    if said:
        raise Failed("unit-invalid", said.splitlines()[0] if len(said.splitlines()) == 1 else said)
    for name, (_, unit) in units.items():
        if not setting(unit, "ExecStart"):
            raise Failed("unit-invalid", f"{name}.service has no ExecStart= in [Service]")
    how = "systemd-analyze verify: no complaint" if said is not None else \
        "read as systemd reads them (no systemd-analyze on this machine)"
    return f"{', '.join(f'{n}.service' for n in units)}: {how}"


@check
def worker_stop_safe(stage: Stage, module: str) -> str:
    _, unit = _lesson_units(stage)["celery-worker"]
    kill_mode = setting(unit, "KillMode", "control-group")
    if kill_mode != "mixed":
        raise Failed("unit-kills-tasks", f"celery-worker.service: KillMode={kill_mode}"
                     + (" (systemd's default)" if not setting(unit, "KillMode") else ""))
    limit = app_setting(paths.lesson_dir(stage.lesson) / f"{module}.py", "task_time_limit")
    if not limit:
        raise Failed("unit-stop-timeout", f"{module}.py sets no task_time_limit: no stop timeout is long enough for a "
                                          "task that may run for ever")
    stop = seconds(setting(unit, "TimeoutStopSec", "90"))  # systemd's DefaultTimeoutStopSec
    if stop <= limit:
        raise Failed("unit-stop-timeout", f"TimeoutStopSec={setting(unit, 'TimeoutStopSec', '90 (the default)')} "
                                          f"is not longer than task_time_limit={limit}")
    return f"KillMode=mixed; TimeoutStopSec {stop:g} s > task_time_limit {limit} s"


@check
def units_restart(stage: Stage) -> str:
    for name, (_, unit) in _lesson_units(stage).items():
        user = setting(unit, "User", "root")
        if setting(unit, "DynamicUser") not in ("yes", "true", "on", "1") and user in ("root", "0"):
            raise Failed("unit-as-root", f"{name}.service runs as root (no User=, no DynamicUser=yes)")
        restart = setting(unit, "Restart", "no")
        if restart != "on-failure":
            raise Failed("unit-restart", f"{name}.service: Restart={restart}")
    return "each under a user of its own, restarted on failure only"


@check
def beat_schedule_writable(stage: Stage) -> str:
    _, unit = _lesson_units(stage)["celery-beat"]
    state = setting(unit, "StateDirectory")
    found = re.search(r"(?:--schedule[= ]|-s )(\S+)", setting(unit, "ExecStart"))
    schedule = found.group(1) if found else "celerybeat-schedule"  # beat's default, in WorkingDirectory
    if not state or not schedule.startswith(f"/var/lib/{state}/"):
        where = f"StateDirectory={state}" if state else "no StateDirectory="
        raise Failed("schedule-unwritable", f"beat's schedule file is {schedule} ({where}): a place the unit may "
                                            "not write")
    return f"beat keeps its schedule in /var/lib/{state}/, its StateDirectory"


@check
def pool_child_limit(stage: Stage) -> str:
    env = env_file(paths.lesson_dir(stage.lesson) / "celery.env")
    opts = env.get("CELERYD_OPTS", "")
    found = re.findall(r"--max-(memory|tasks)-per-child[= ](\d+)", opts)
    if not found:
        raise Failed("no-child-limit", f"CELERYD_OPTS={opts!r} in celery.env")
    return ", ".join(f"--max-{kind}-per-child {n}" for kind, n in found)


# --- stage: services (in the VM) ---------------------------------------------------------------

JOURNAL_CAUSES = [  # what a unit that will not start leaves in its journal, and which cause explains it
    (re.compile(r"PermissionError: .*'/opt/celery-lab/app|Changing to the requested working directory failed: "
                r"Permission denied|Failed at step CHDIR"), "app-unreadable"),
    (re.compile(r"(Read-only file system|Permission denied): '[^']*schedule"), "schedule-unwritable"),
    (re.compile(r"ModuleNotFoundError: No module named|Unable to load celery application"), "app-not-found"),
]


def journal_cause(lines: str) -> str:
    """The cause a unit's journal lines show (the last match wins: the newest start), else service-not-running."""
    found = "service-not-running"
    for line in lines.splitlines():
        for pattern, cause in JOURNAL_CAUSES:
            if pattern.search(line):
                found = cause
    return found


def _systemctl(*args: str) -> str:
    return systemctl(*args, cause="services-not-installed")


@check
def services_installed(stage: Stage) -> str:
    folder = paths.lesson_dir(stage.lesson)
    _systemctl("--version")
    for name in UNITS:
        installed = UNIT_DIR / f"{name}.service"
        if not installed.is_file():
            raise Failed("services-not-installed", f"no {installed}")
        if installed.read_text() != (folder / f"{name}.service").read_text():
            raise Failed("services-not-installed", f"{installed} is not the lesson's {name}.service")
    return f"{', '.join(UNITS)} installed from {paths.show(folder)}"


@check
def services_active(stage: Stage) -> str:
    for name in UNITS:
        state = _systemctl("is-active", name)
        if state != "active":
            log = subprocess.run(["journalctl", "-u", name, "-n", "30", "--no-pager", "-o", "cat"],
                                 capture_output=True, text=True, timeout=30).stdout
            last = [line for line in log.splitlines() if line.strip()][-3:]
            raise Failed(journal_cause(log), f"{name}: {state}" + (": " + " / ".join(last) if last else ""))
        pid = _systemctl("show", "-p", "MainPID", "--value", name)
        if pid and pid != "0" and os.stat(f"/proc/{pid}").st_uid == 0:
            raise Failed("unit-as-root", f"{name} runs as root (PID {pid})")
    return f"{', '.join(UNITS)}: active, none as root"


def beats(module: str) -> list[tuple[int, str]]:
    """The celery beat processes of the app MODULE on this machine, from /proc: (PID, the user it runs as)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        names = [Path(a).name for a in argv[:2]]
        if "celery" in names and "beat" in argv and any(a in (f"--app={module}", module) for a in argv):
            try:
                user = pwd.getpwuid(proc.stat().st_uid).pw_name
            except (KeyError, OSError):
                user = "?"
            found.append((int(proc.name), user))
    return sorted(found)


@check
def one_beat(stage: Stage, module: str) -> str:
    found = beats(module)
    if len(found) != 1:
        raise Failed("two-beats" if found else "no-beat",
                     f"{len(found)} beat processes of {module}: "
                     + ", ".join(f"PID {pid} as {user}" for pid, user in found))
    return f"one beat of {module} (PID {found[0][0]} as {found[0][1]})"


@check
def service_worker_answers(stage: Stage, module: str) -> str:
    """The worker of the celery-worker service answers (`inspect stats`: its PID is the unit's MainPID), not only a
    worker started in a terminal."""
    main_pid = _systemctl("show", "-p", "MainPID", "--value", "celery-worker")
    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), module) as celery_app:
        replies = celery_app.control.broadcast("stats", reply=True, timeout=2.0) or []
        broker = celery_app.conf.broker_url
    pids = {str(answer.get("pid")): node for reply in replies for node, answer in reply.items()}
    if main_pid not in pids:
        raise Failed("service-not-running", f"no answer from the service's worker (PID {main_pid}) on {broker}"
                     + (f"; answered: {', '.join(f'{n} (PID {p})' for p, n in pids.items())}" if pids else ""))
    return f"{pids[main_pid]} answers: the service's worker (PID {main_pid})"
