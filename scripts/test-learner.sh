#!/usr/bin/env bash
# make test-learner: the course as a learner runs it — a normal user, not root, in a clone of their own.
#
# As root (CI), it makes a throwaway normal user, clones this checkout's HEAD into that user's home as
# ~/celery-lab, and as that user runs `make play LESSON=15`: the set-up a learner's `make tour` does (venv,
# Redis from source, its TLS build) and lesson 15 played as written — the lesson whose network namespaces
# and on.sh differ most between root and a normal user (the tour plays a normal user's lessons inside a user
# namespace). Then it checks that the user left nothing: no process, no namespace name in /run/netns that was
# not there before. The user and its home are removed, also on failure or Ctrl-C.
# As a normal user there is nothing to make: `make tour` is this test.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if [ "$(id -u)" != 0 ]; then
  echo "test-learner: run it as root (it makes a user of its own); as a normal user, \`make tour\` is the test" >&2
  exit 2
fi

name=celery-lab-learner
mark="celery-lab test learner (scripts/test-learner.sh)"
step() { printf '\n==> %s\n' "$*"; }
netns() { [ -d /run/netns ] || { echo "(no /run/netns)"; return; }; find /run/netns -mindepth 1 -maxdepth 1 -printf "%f\n" | sort; }
# The user's live processes: a zombie has ended and only waits for its parent to collect its status.
alive_of() { ps -u "$name" -o pid=,stat= 2>/dev/null | awk '$2 !~ /^Z/ {print $1}' || true; }

remove_user() {
  getent passwd "$name" >/dev/null || return 0
  if [ "$(getent passwd "$name" | cut -d: -f5)" != "$mark" ]; then
    echo "test-learner: a user $name exists that this script did not make; not touching it" >&2
    exit 1
  fi
  local pids
  pids=$(alive_of)
  # shellcheck disable=SC2086  # one PID a word
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  userdel --remove "$name" 2>/dev/null || userdel "$name"
}

tmp=$(mktemp -d /tmp/celery-lab-learner.XXXXXX)
finish() {
  local status=$?
  remove_user
  rm -rf "$tmp"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

remove_user  # a user left by a run that was killed before its clean-up
step "A normal user, $name, with this checkout's HEAD ($(git rev-parse --short HEAD)) at ~/celery-lab"
# The learner's Python is the system's: what it needs to make a venv comes from apt like the rest (make deps).
PATH=/usr/local/bin:/usr/bin:/bin bash scripts/install-build-deps.sh
chmod 711 "$tmp"  # the user's home lies inside
useradd --create-home --home-dir "$tmp/home" --shell /bin/bash --comment "$mark" "$name"
git clone --quiet --no-hardlinks "$repo" "$tmp/home/celery-lab"
chown -R "$name:" "$tmp/home/celery-lab"
echo "    $(id "$name")"

before=$(netns)
step "As $name: make play LESSON=15 (set-up, then lesson 15 as written)"
start=$SECONDS
runuser -u "$name" -- env -i HOME="$tmp/home" USER="$name" LOGNAME="$name" PATH=/usr/local/bin:/usr/bin:/bin \
  LANG=C.UTF-8 TERM="${TERM:-xterm}" bash -c 'cd ~/celery-lab && make play LESSON=15'
echo "    played in $((SECONDS - start)) s"

step "Left behind"
for _ in $(seq 50); do  # the namespaces' processes end with their first one: give the kernel a moment
  left=$(alive_of)
  [ -z "$left" ] && break
  sleep 0.2
done
if [ -n "$left" ]; then
  echo "test-learner: processes of $name still run after the play:" >&2
  # shellcheck disable=SC2086
  ps -o pid,args -p $left >&2
  exit 1
fi
if [ "$(netns)" != "$before" ]; then
  printf 'test-learner: /run/netns changed: before [%s], after [%s]\n' "$before" "$(netns)" >&2
  exit 1
fi
echo "    no process of $name; /run/netns as before ([${before//$'\n'/ }])"
echo "test-learner: passed"
