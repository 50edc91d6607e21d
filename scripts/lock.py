#!/usr/bin/env python3
"""Re-pin requirements.txt from requirements.in, with hashes (`make lock`); and requirements-hiredis.txt
from requirements-hiredis.in: lesson 14's hiredis, which `make venv` installs apart from the venv's
packages (into .venv/hiredis), so that only the ladder's hiredis rung has it.

Resolves for Python 3.11.2 — Debian 12's own Python, which the VM uses and the oldest the course
supports — so that no pin needs a newer Python than a learner's Debian 12 has. pip's resolver runs
as a dry run for that Python version (wheels only) and its report becomes the pinned list. pip's
--python-version covers wheel tags and Requires-Python, not environment markers, which it evaluates
for the Python running it: a dependency only 3.11.2 needs (redis-py's `async-timeout; python_full_version
< "3.11.3"`) is found from the report's metadata and resolved in as well, so --require-hashes can
install the lock on either Python.

Each pin carries the sha256 of every wheel of that release that CPython 3.11 on Linux can install
(from the index's JSON API, PEP 691), and `make venv` installs with --require-hashes: a file that
is not one of those — a tampered mirror, a look-alike upload — is refused, not installed.
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
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename

REPO = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11.2"
INDEX = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def installable(tag: Tag) -> bool:
    """Can CPython 3.11 on Linux (any architecture) install a wheel with this tag?"""
    python_ok = tag.interpreter in ("py3", "cp311") or (tag.abi == "abi3" and tag.interpreter in
                                                        {f"cp3{minor}" for minor in range(2, 12)})
    abi_ok = tag.abi in ("none", "abi3", "cp311")
    platform_ok = tag.platform == "any" or "linux" in tag.platform
    return python_ok and abi_ok and platform_ok


def wheel_hashes(name: str, version: str) -> list[str]:
    request = urllib.request.Request(f"{INDEX}/{canonicalize_name(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        files = json.load(reply)["files"]
    hashes = set()
    for file in files:
        if not file["filename"].endswith(".whl") or "sha256" not in file.get("hashes", {}):
            continue
        _, wheel_version, _, tags = parse_wheel_filename(file["filename"])
        if str(wheel_version) == version and any(installable(tag) for tag in tags):
            hashes.add(file["hashes"]["sha256"])
    return sorted(hashes)


TARGET_MARKERS = {**default_environment(), "python_full_version": PYTHON_VERSION,
                  "python_version": ".".join(PYTHON_VERSION.split(".")[:2])}


def resolve(extra: list[str]) -> list[dict]:
    """pip's dry-run report for requirements.in plus `extra` requirement lines."""
    with tempfile.TemporaryDirectory() as tmp:
        wanted = Path(tmp) / "wanted.txt"
        wanted.write_text(f"-r {REPO / 'requirements.in'}\n" + "".join(f"{line}\n" for line in extra))
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


def main() -> int:
    extra: list[str] = []
    installs = resolve(extra)
    while more := [m for m in needed_on_target(installs) if m not in extra]:
        print(f"lock: needed on Python {PYTHON_VERSION} as well: {', '.join(more)}")
        extra += more
        installs = resolve(extra)
    lines = [f"# Generated from requirements.in by `make lock` (scripts/lock.py), for Python {PYTHON_VERSION},",
             f"# with the sha256 of every wheel CPython 3.11 on Linux can install (from {INDEX}).",
             "# `make venv` installs with --require-hashes. Do not edit by hand."]
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
    return lock_apart("requirements-hiredis")


def pin(lines: list[str], name: str, version: str, hashes: list[str]) -> bool:
    """NAME==VERSION and its hashes, as lines of a requirements file; False (and why) without a wheel."""
    if not hashes:
        print(f"lock: {name} {version}: no installable wheel on {INDEX}", file=sys.stderr)
        return False
    lines.append(f"{name}=={version} \\")
    lines.extend(f"    --hash=sha256:{h}" + (" \\" if i < len(hashes) - 1 else "") for i, h in enumerate(hashes))
    return True


def lock_apart(stem: str) -> int:
    """STEM.in's pins (NAME==VERSION, packages without dependencies) into STEM.txt with their hashes."""
    lines = [f"# Generated from {stem}.in by `make lock` (scripts/lock.py), for Python {PYTHON_VERSION},",
             f"# with the sha256 of every wheel CPython 3.11 on Linux can install (from {INDEX}).",
             "# `make venv` installs it with --require-hashes --no-deps. Do not edit by hand."]
    for line in (REPO / f"{stem}.in").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            if not pin(lines, name, version, wheel_hashes(name, version)):
                return 1
    (REPO / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    print(f"{stem}.txt: pinned with its hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
