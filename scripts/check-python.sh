#!/usr/bin/env bash
# make venv's first step: can this Python install the lock? requirements.txt holds the hashes of the wheels of
# the CPythons its header names (`# Pythons:`; scripts/lock.py), on Linux, and pip refuses every other file: a
# venv of another Python would stop at its first compiled package with "THESE PACKAGES DO NOT MATCH THE
# HASHES". Say so first.
#   bash scripts/check-python.sh python3
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
read -r -a locked <<<"$(sed -n 's/^# Pythons: //p' requirements.txt | head -n 1)"
elsewhere="follow the course in a container or in its VM (README.md, 'Three ways in'; lessons/01-lab-machine/README.md)"
if [ "$(uname -s)" != Linux ]; then
  echo "make venv: requirements.txt holds the wheels for Linux only, and this is $(uname -s): $elsewhere." >&2
  exit 1
fi
have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ " ${locked[*]} " != *" $have "* ]]; then
  echo "make venv: requirements.txt holds the wheels of CPython ${locked[*]} only, and $python is Python $have." \
    "Name one of those (make venv PYTHON=python${locked[0]}), or $elsewhere." >&2
  exit 1
fi
