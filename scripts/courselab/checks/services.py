"""Lesson 21's checks: the worker, beat and Flower as systemd services.

Stage service-units (both paths): the lesson's unit files, as the learner edits them, read the way systemd
reads them (`systemd-analyze verify` where there is one) and held to the lesson's rules for a stop that
loses nothing. Stage services (the VM): the units installed, running, a worker that answers, one beat.
None of it imports the learner's code: service.py's task_time_limit is read from its text.
"""

from __future__ import annotations

import ast
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import paths
from .base import Failed, Stage, check

UNITS = ("celery-worker", "celery-beat", "celery-flower")
VENV_LINK = "/opt/celery-lab/venv"  # install.sh links the course's venv here
UNIT_DIR = Path("/etc/systemd/system")


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's settings: {section: {key: [values, in order]}} (a key may be given more than once).
    Comments and blank lines skipped, continuation lines joined, as systemd reads them (systemd.syntax(7))."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1].rstrip() + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None or "=" not in line:
            raise Failed("unit-invalid", f"not a unit file line: {line!r}")
        key, value = (part.strip() for part in line.split("=", 1))
        current.setdefault(key, []).append(value)
    return sections


def setting(unit: dict, key: str, default: str = "") -> str:
    """The value systemd uses for KEY in [Service]: the last one given (a drop-in's overrides the unit's)."""
    values = unit.get("Service", {}).get(key)
    return values[-1] if values else default


def seconds(value: str) -> float:
    """A systemd time span (systemd.time(7)) in seconds: '30', '30s', '1min 30s', '90s', 'infinity'."""
    if value.strip() == "infinity":
        return float("inf")
    units = {"": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "minute": 60,
             "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600, "ms": 0.001, "msec": 0.001}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value):
        if unit not in units:
            raise ValueError(f"not a time span: {value!r}")
        total += float(number) * units[unit]
    return total


def app_setting(app_file: Path, name: str):
    """A literal setting of the app (`name=...` in app.conf.update(...), or app.conf.name = ...), read from
    the file's text without running it; None when it is not set there."""
    tree = ast.parse(app_file.read_text(), str(app_file))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == name:
            return ast.literal_eval(node.value)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == name for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def env_file(path: Path) -> dict[str, str]:
    """An EnvironmentFile's variables (systemd.exec(7): KEY=VALUE lines, # comments, optional quotes)."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and line[0] not in "#;" and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip().strip("\"'")
    return env


def _lesson_units(stage: Stage) -> dict[str, tuple[Path, dict]]:
    folder = paths.lesson_dir(stage.lesson)
    units = {}
    for name in UNITS:
        path = folder / f"{name}.service"
        if not path.is_file():
            raise Failed("unit-invalid", f"no {name}.service in {paths.show(folder)}")
        units[name] = (path, parse_unit(path.read_text()))
    return units


def verify(unit_files: list[Path]) -> str:
    """What `systemd-analyze verify` says of the units, copied into a folder of their own, with the venv they
    name (/opt/celery-lab/venv, which install.sh links to the course's venv) read as the course's venv: empty
    when all is well. None when this machine has no systemd-analyze (macOS, say)."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return None
    with tempfile.TemporaryDirectory(prefix="celery-lab-units-") as tmp:
        copies = []
        for path in unit_files:
            copy = Path(tmp) / path.name
            copy.write_text(path.read_text().replace(VENV_LINK, str(paths.REPO / ".venv")))
            copies.append(str(copy))
        done = subprocess.run([tool, "verify", "--man=no", *copies], capture_output=True, text=True, timeout=60)
        text = (done.stdout + done.stderr).replace(tmp + "/", "")
    return text.replace(str(paths.REPO / ".venv"), VENV_LINK).strip()


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
    if not shutil.which("systemctl") or not Path("/run/systemd/system").is_dir():
        raise Failed("services-not-installed", "systemd does not run this machine: this stage is the VM's")
    return subprocess.run(["systemctl", *args], capture_output=True, text=True, timeout=30).stdout.strip()


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
    from .. import lessonapp

    main_pid = _systemctl("show", "-p", "MainPID", "--value", "celery-worker")
    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), module) as celery_app:
        replies = celery_app.control.broadcast("stats", reply=True, timeout=2.0) or []
        broker = celery_app.conf.broker_url
    pids = {str(answer.get("pid")): node for reply in replies for node, answer in reply.items()}
    if main_pid not in pids:
        raise Failed("service-not-running", f"no answer from the service's worker (PID {main_pid}) on {broker}"
                     + (f"; answered: {', '.join(f'{n} (PID {p})' for p, n in pids.items())}" if pids else ""))
    return f"{pids[main_pid]} answers: the service's worker (PID {main_pid})"
