#!/usr/bin/env bash
# Install what building Redis and the course's venv need, from Debian/Ubuntu packages:
#   build-essential pkg-config  - compiler and make for `make`
#   tcl                         - Redis's own test suite (`make test`, ./runtest)
#   curl ca-certificates        - fetching the release tarball
#   tmux                        - the terminals `make tour` plays the lessons in (scripts/play.py)
#   libssl-dev                  - OpenSSL's headers: the course's Redis is built with TLS (BUILD_TLS=yes)
#   python3-venv                - only when this Python cannot create a venv with pip
# Extra packages can be named as arguments (the VM adds libsystemd-dev for USE_SYSTEMD=yes).
#
# Idempotent: installs only what is missing, and says first what and why. As root it runs apt-get; otherwise
# it uses sudo when sudo works without a password prompt; otherwise — or with CELERY_LAB_APT=print, for
# whoever wants to run apt-get themselves — it prints the exact command to run and exits 1.
set -euo pipefail
declare -A why=([build-essential]="compiler and make, to build Redis" [pkg-config]="Redis's build finds libraries with it"
  [tcl]="Redis's own test suite" [curl]="fetching Redis's release tarball" [ca-certificates]="checking HTTPS downloads"
  [tmux]="the terminals make tour plays the lessons in" [python3-venv]="this Python cannot make a venv without it"
  [libssl-dev]="OpenSSL's headers, for Redis with TLS (BUILD_TLS=yes)" [libsystemd-dev]="Redis that tells systemd it is ready"
  [chromium]="the browser test of Flower (lesson 12)" [chromium-driver]="Selenium's driver for that browser")

step() { printf '\n==> %s\n' "$*"; }

wanted=(build-essential pkg-config tcl curl ca-certificates tmux libssl-dev "$@")
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
echo "    missing:"
for pkg in "${missing[@]}"; do printf '      %-16s %s\n' "$pkg" "${why[$pkg]:-asked for by the caller}"; done
command_line="sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"

if ! command -v apt-get >/dev/null; then
  echo "install-build-deps: no apt-get here; install the equivalents of: ${missing[*]} (lesson 02)" >&2
  exit 1
fi
if [ "${CELERY_LAB_APT:-}" = print ]; then
  echo "install-build-deps: CELERY_LAB_APT=print: nothing installed. Run this yourself, then try again:" >&2
  echo "    $command_line" >&2
  exit 1
elif [ "$(id -u)" = 0 ]; then
  sudo=()
  echo "    installing them with apt-get (as root)"
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo)
  echo "    installing them with sudo, which runs here without asking for a password (CELERY_LAB_APT=print: print"
  echo "    the command instead): apt-get install ${missing[*]}"
else
  echo "install-build-deps: installing packages needs root. Run this, then try again:" >&2
  echo "    $command_line" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
