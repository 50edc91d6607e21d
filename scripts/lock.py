#!/usr/bin/env python3
"""Re-pin requirements.txt from requirements.in (`make lock`).

Resolves for Python 3.11.2 — Debian 12's own Python, which the VM uses and the oldest the course
supports — so that no pin needs a newer Python than a learner's Debian 12 has. pip's resolver runs
as a dry run for that Python version (wheels only) and its report becomes the pinned list.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11.2"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--python-version", PYTHON_VERSION, "--only-binary=:all:", "--target", f"{tmp}/t",
                        "--report", str(report), "-r", str(REPO / "requirements.in")], check=True)
        installs = json.loads(report.read_text())["install"]
    pins = sorted((i["metadata"]["name"], i["metadata"]["version"]) for i in installs)
    lines = [f"# Generated from requirements.in by `make lock` (scripts/lock.py), for Python {PYTHON_VERSION}.",
             "# Do not edit by hand.", *(f"{name}=={version}" for name, version in pins)]
    (REPO / "requirements.txt").write_text("\n".join(lines) + "\n")
    print(f"requirements.txt: {len(pins)} packages pinned for Python {PYTHON_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
