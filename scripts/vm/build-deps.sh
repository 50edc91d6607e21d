#!/usr/bin/env bash
# Build prerequisites in the VM: the course's own script, plus what the VM adds (libsystemd-dev for
# Redis's USE_SYSTEMD=yes, python3-venv for the course's venv, make).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
source "$(dirname "$0")/lib.sh"
repo="$(cd "$(dirname "$0")/../.." && pwd)"

step "Build prerequisites"
before="$(dpkg-query -W -f='${Package}\n' | wc -l)"
bash "$repo/scripts/install-build-deps.sh" libsystemd-dev python3-venv make
[ "$(dpkg-query -W -f='${Package}\n' | wc -l)" = "$before" ] || changed
summary
