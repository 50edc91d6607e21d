#!/usr/bin/env bash
# Install what building Redis and the course's venv need, from Debian/Ubuntu packages:
#   build-essential pkg-config  - compiler and make for `make`
#   tcl                         - Redis's own test suite (`make test`, ./runtest)
#   curl ca-certificates        - fetching the release tarball
#   tmux                        - the terminals `make tour` plays the lessons in (scripts/play.py)
#   python3-venv                - only when this Python cannot create a venv with pip
# Extra packages can be named as arguments (the VM adds libsystemd-dev for USE_SYSTEMD=yes).
#
# Idempotent: installs only what is missing. As root it runs apt-get; otherwise it uses sudo when
# sudo works without a password prompt; otherwise it prints the exact command to run and exits 1.
set -euo pipefail

step() { printf '\n==> %s\n' "$*"; }

wanted=(build-essential pkg-config tcl curl ca-certificates tmux "$@")
if ! python3 -c 'import ensurepip, venv' 2>/dev/null && [[ " ${wanted[*]} " != *" python3-venv "* ]]; then
  wanted+=(python3-venv)
fi

step "Build prerequisites: ${wanted[*]}"
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "    all present"
  exit 0
fi
echo "    missing: ${missing[*]}"

if ! command -v apt-get >/dev/null; then
  echo "install-build-deps: no apt-get here; install the equivalents of: ${missing[*]} (lesson 02)" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo)
  echo "    installing them with sudo (it runs without asking you for a password here): apt-get install ${missing[*]}"
else
  echo "install-build-deps: installing packages needs root. Run this, then try again:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
