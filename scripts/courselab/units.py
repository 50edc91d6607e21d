"""Lesson 21's unit files read as systemd reads them, without systemd running: their settings, time spans, their
EnvironmentFile, `systemd-analyze verify` where there is one; and a setting of the app read from its text, not run.
The stage checks (checks/services.py) and notebook 21 use them."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import paths

UNITS = ("celery-worker", "celery-beat", "celery-flower")
VENV_LINK = "/opt/celery-lab/venv"  # lesson 21's install.sh links the course's venv here


class UnitError(ValueError):
    """A unit file systemd could not read as meant."""


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
            raise UnitError(f"not a unit file line: {line!r}")
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
