#!/usr/bin/env bash
# make venv's first step: can this Python install the lock? requirements.txt holds the hashes of one CPython's
# wheels (its header names it; scripts/lock.py), and pip refuses every other file, so a venv of another Python
# would stop at its first compiled package with "THESE PACKAGES DO NOT MATCH THE HASHES". Say so first.
#   bash scripts/check-python.sh python3
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
locked=$(sed -n 's/^#.* for Python \([0-9]*\.[0-9]*\).*/\1/p' requirements.txt | head -n 1)
have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$have" != "$locked" ]; then
  echo "make venv: requirements.txt holds the wheels of CPython $locked only (Debian 12's), and $python is" \
    "Python $have. Name a Python $locked (make venv PYTHON=python$locked), or follow the course in its VM" \
    "(lessons/01-lab-machine/README.md, section 'Start the VM')." >&2
  exit 1
fi
