#!/usr/bin/env python3
"""Re-pin requirements.txt from requirements.in, with hashes (`make lock`; the dependencies keep their
pins unless `make lock ARGS=--upgrade`); requirements-hiredis.txt from requirements-hiredis.in: lesson
15's hiredis, which `make venv` installs apart from the venv's packages (into .venv/hiredis), so that only
the ladder's hiredis rung has it; requirements-peers.txt from requirements-peers.in: lesson 15's peers
(RQ, Dramatiq, Huey, arq and the redis-py they need), installed apart too (into .venv/peers); and
requirements-uv.txt from requirements-uv.in: the installer the VM's `make venv INSTALLER=uv` uses.

Resolves for Python 3.11.2 — Debian 12's own Python, which the VM uses and the oldest the course
supports — so that no pin needs a newer Python than a learner's Debian 12 has. pip's resolver runs
as a dry run for that Python version (wheels only) and its report becomes the pinned list. pip's
--python-version covers wheel tags and Requires-Python, not environment markers, which it evaluates
for the Python running it: a dependency only 3.11.2 needs (redis-py's `async-timeout; python_full_version
< "3.11.3"`) is found from the report's metadata and resolved in as well, so --require-hashes can
install the lock on either Python.

Each pin carries the sha256 of every wheel of that release that CPython 3.11, 3.12 or 3.13 on Linux
can install (from the index's JSON API, PEP 691), and `make venv` installs with --require-hashes: a
file that is not one of those — a tampered mirror, a look-alike upload — is refused, not installed.
Every pin must have a wheel for each of those Pythons on x86-64 and on aarch64 (Debian 12's glibc,
2.36, or older), or the lock is not written: the header's `# Pythons:` line is what check-python.sh
(make venv's first step) holds a learner's Python to, and scripts/check-lock.sh proves each target
with pip's own resolver against the hashes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

REPO = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11.2"
PYTHONS = ("3.11", "3.12", "3.13")  # the CPythons the lock serves: Debian 12's, Ubuntu 24.04's, Debian 13's
ARCHES = ("x86_64", "aarch64")
GLIBC = (2, 36)  # Debian 12's: the oldest C library of those systems
INDEX = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def platforms(arch: str) -> list[str]:
    """The wheel platforms a Linux with glibc GLIBC on `arch` runs, most specific first (PEP 600, 599)."""
    tags = [f"manylinux_{GLIBC[0]}_{minor}_{arch}" for minor in range(GLIBC[1], 4, -1)]
    legacy = {"x86_64": ["manylinux2014", "manylinux2010", "manylinux1"], "aarch64": ["manylinux2014"]}[arch]
    return tags + [f"{name}_{arch}" for name in legacy] + [f"linux_{arch}"]


def target_tags(python: str, arch: str) -> set[Tag]:
    """Every wheel tag CPython `python` (X.Y) on Linux `arch` can install."""
    version = tuple(int(part) for part in python.split("."))
    plats = platforms(arch)
    return {*cpython_tags(version, platforms=plats), *compatible_tags(version, "cp" + python.replace(".", ""), plats)}


TARGETS = {(python, arch): target_tags(python, arch) for python in PYTHONS for arch in ARCHES}
SERVED = set().union(*TARGETS.values())


def installable(tag: Tag) -> bool:
    """Can one of the CPythons of PYTHONS on Linux (x86-64 or aarch64) install a wheel with this tag?"""
    return tag in SERVED


def missing_targets(tags_of_files: list[frozenset[Tag]]) -> list[str]:
    """The targets (CPython X.Y on ARCH) that none of a release's wheels (their tags) serves."""
    return [f"CPython {python} on {arch}" for (python, arch), tags in TARGETS.items()
            if not any(file_tags & tags for file_tags in tags_of_files)]


def wheel_hashes(name: str, version: str) -> list[str]:
    """The sha256 of every wheel of NAME VERSION that a target can install; [] unless every target has one."""
    request = urllib.request.Request(f"{INDEX}/{canonicalize_name(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        files = json.load(reply)["files"]
    hashes, served = set(), []
    for file in files:
        if not file["filename"].endswith(".whl") or "sha256" not in file.get("hashes", {}):
            continue
        try:
            _, wheel_version, _, tags = parse_wheel_filename(file["filename"])
        except InvalidWheelFilename:  # an old upload no installer takes (arq 0.10's 'py35+' tag)
            continue
        if str(wheel_version) == version and any(installable(tag) for tag in tags):
            hashes.add(file["hashes"]["sha256"])
            served.append(frozenset(tags))
    if hashes and (missing := missing_targets(served)):
        print(f"lock: {name} {version} has no wheel for {', '.join(missing)}", file=sys.stderr)
        return []
    return sorted(hashes)


def header(stem: str, how: str) -> list[str]:
    return [f"# Generated from {stem}.in by `make lock` (scripts/lock.py), resolved for Python {PYTHON_VERSION},",
            f"# with the sha256 of every wheel CPython {', '.join(PYTHONS[:-1])} or {PYTHONS[-1]} on Linux "
            f"({' or '.join(ARCHES)}) can install, from {INDEX}.",
            f"# Pythons: {' '.join(PYTHONS)}",
            f"# `make venv` installs {how}. Do not edit by hand."]


TARGET_MARKERS = {**default_environment(), "python_full_version": PYTHON_VERSION,
                  "python_version": ".".join(PYTHON_VERSION.split(".")[:2])}


def current_pins() -> list[str]:
    """NAME==VERSION of every pin in today's requirements.txt: kept unless `make lock ARGS=--upgrade`."""
    path = REPO / "requirements.txt"
    if not path.exists():
        return []
    return [line.split()[0] for line in path.read_text().splitlines() if "==" in line and not line.startswith(" ")]


def resolve(extra: list[str], keep: list[str]) -> list[dict]:
    """pip's dry-run report for requirements.in plus `extra` requirement lines, within the pins `keep`."""
    with tempfile.TemporaryDirectory() as tmp:
        wanted = Path(tmp) / "wanted.txt"
        kept = Path(tmp) / "kept.txt"
        kept.write_text("".join(f"{line}\n" for line in keep))
        wanted.write_text(f"-r {REPO / 'requirements.in'}\n-c {kept}\n" + "".join(f"{line}\n" for line in extra))
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--python-version", PYTHON_VERSION, "--only-binary=:all:", "--target", f"{tmp}/t",
                        "--report", str(report), "-r", str(wanted)], check=True)
        return json.loads(report.read_text())["install"]


def needed_on_target(installs: list[dict]) -> list[str]:
    """Dependencies whose markers hold on PYTHON_VERSION but that the report (made on this Python) lacks."""
    have = {canonicalize_name(i["metadata"]["name"]) for i in installs}
    missing = []
    for item in installs:
        extras = ["", *item.get("requested_extras", [])]
        for spec in item["metadata"].get("requires_dist", []):
            req = Requirement(spec)
            if canonicalize_name(req.name) in have or req.marker is None:
                continue
            if any(req.marker.evaluate({**TARGET_MARKERS, "extra": extra}) for extra in extras):
                missing.append(f"{req.name}{req.specifier}")
    return sorted(set(missing))


def main(argv: list[str]) -> int:
    # a pin of requirements.in changed: the old pin of that package must not hold it back
    direct = {canonicalize_name(Requirement(line).name) for line in (REPO / "requirements.in").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    keep = [] if "--upgrade" in argv else [pin for pin in current_pins()
                                           if canonicalize_name(pin.split("==")[0]) not in direct]
    extra: list[str] = []
    installs = resolve(extra, keep)
    while more := [m for m in needed_on_target(installs) if m not in extra]:
        print(f"lock: needed on Python {PYTHON_VERSION} as well: {', '.join(more)}")
        extra += more
        installs = resolve(extra, keep)
    lines = header("requirements", "it with --require-hashes")
    count = 0
    for item in sorted(installs, key=lambda i: canonicalize_name(i["metadata"]["name"])):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        hashes = wheel_hashes(name, version)
        chosen = item["download_info"].get("archive_info", {}).get("hashes", {}).get("sha256")
        if chosen and chosen not in hashes:
            print(f"lock: {name} {version}: the file pip chose ({chosen[:16]}…) is not on {INDEX}", file=sys.stderr)
            return 1
        if not pin(lines, name, version, hashes):
            return 1
        count += 1
    (REPO / "requirements.txt").write_text("\n".join(lines) + "\n")
    print(f"requirements.txt: {count} packages pinned with their hashes for Python {PYTHON_VERSION}")
    return lock_apart("requirements-hiredis") or lock_apart("requirements-peers") or lock_apart("requirements-uv")


def pin(lines: list[str], name: str, version: str, hashes: list[str]) -> bool:
    """NAME==VERSION and its hashes, as lines of a requirements file; False (and why) without a wheel."""
    if not hashes:
        print(f"lock: {name} {version}: no wheel for every target on {INDEX}", file=sys.stderr)
        return False
    lines.append(f"{name}=={version} \\")
    lines.extend(f"    --hash=sha256:{h}" + (" \\" if i < len(hashes) - 1 else "") for i, h in enumerate(hashes))
    return True


def lock_apart(stem: str) -> int:
    """STEM.in's pins (NAME==VERSION, packages without dependencies) into STEM.txt with their hashes."""
    lines = header(stem, "it with --require-hashes --no-deps")
    for line in (REPO / f"{stem}.in").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            if not pin(lines, name, version, wheel_hashes(name, version)):
                return 1
    (REPO / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    print(f"{stem}.txt: pinned with its hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
