#!/usr/bin/env bash
# make test-learner: the course as a learner runs it — a normal user, not root, in a clone of their own.
#
# As root (CI), it makes a throwaway normal user, clones this checkout's HEAD into that user's home as
# ~/celery-lab, and as that user runs `make play LESSON="16 17 18"`: the set-up a learner's `make tour` does (its
# venv; Redis is this checkout's build, copied in when built) and lessons 16-18 played as written —
# the lessons whose network namespaces and on.sh differ most between root and a normal user (the tour plays a
# normal user's lessons inside a user namespace). Then it checks that the user left nothing: no process, no
# namespace name in /run/netns that was not there before. Then, with a throwaway passwordless sudo, the user types lesson 16's first commands outside
# the tour (./hosts.sh up, ./on.sh w1 ..., ./hosts.sh down), as on their own machine, and no host may be
# left. The user, its home and its sudoers entry (and sudo, if this run installed it) are removed, also on
# failure or Ctrl-C; a /run/netns that `ip netns` made is removed again.
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
sudoers=/etc/sudoers.d/celery-lab-learner
sudo_installed=0  # sudo installed by this run: removed again at the end
hosts_up=0        # lesson 16's hosts made by the user with sudo: removed again at the end
netns_existed=0; [ -d /run/netns ] && netns_existed=1
finish() {
  local status=$?
  if [ "$hosts_up" = 1 ]; then  # the user's hosts, if its own ./hosts.sh down did not run
    CELERY_LAB_HOSTS=cl bash "$tmp/home/celery-lab/lessons/16-several-hosts/hosts.sh" down >/dev/null 2>&1 || true
  fi
  # `ip netns add` made /run/netns (a mount of its own) where there was none: as the machine was
  if [ "$netns_existed" = 0 ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
    umount /run/netns 2>/dev/null || true; rmdir /run/netns 2>/dev/null || true
  fi
  rm -f "$sudoers"
  remove_user
  if [ "$sudo_installed" = 1 ]; then  # (sudo refuses to go without SUDO_FORCE_REMOVE where root has no password)
    SUDO_FORCE_REMOVE=yes DEBIAN_FRONTEND=noninteractive apt-get purge -y -q sudo >/dev/null 2>&1 \
      || { echo "test-learner: could not remove sudo again: apt-get purge sudo" >&2; status=1; }
  fi
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
# Redis as this checkout built it (make test did), where the set-up finds it installed: a normal user's own
# build is proven by make test-container; this test is about lessons 16-18.
build="${CELERY_LAB_REDIS_PREFIX:-}"
if [ -n "$build" ] && [ -x "$build/bin/redis-server" ]; then
  mkdir -p "$tmp/home/celery-lab/.redis"
  cp -a "$build" "$tmp/home/celery-lab/.redis/"
  echo "    $(basename "$build"): this checkout's build"
fi
chown -R "$name:" "$tmp/home/celery-lab"
echo "    $(id "$name")"

before=$(netns)
step "As $name: make play LESSON=\"16 17 18\" (set-up, then lessons 16-18 as written)"
start=$SECONDS
runuser -u "$name" -- env -i HOME="$tmp/home" USER="$name" LOGNAME="$name" PATH=/usr/local/bin:/usr/bin:/bin \
  LANG=C.UTF-8 TERM="${TERM:-xterm}" bash -c 'cd ~/celery-lab && make play LESSON="16 17 18"'
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

step "As $name with sudo, outside the tour: lesson 16's hosts as typed (./hosts.sh up, ./on.sh, ./hosts.sh down)"
# A learner on their own Linux machine: a normal user whose sudo asks for no password here (a throwaway
# sudoers entry). hosts.sh and on.sh call sudo themselves; what runs on a host runs as the user again.
if [ -n "$(find /run/netns -mindepth 1 -maxdepth 1 -name 'cl-*' 2>/dev/null)" ]; then
  echo "test-learner: lesson 16's hosts (/run/netns/cl-*) exist already on this machine: not touching them" >&2
  exit 1
fi
if ! command -v sudo >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends sudo >/dev/null
  sudo_installed=1
  echo "    installed sudo (removed again at the end)"
fi
printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$name" >"$sudoers.tmp"
chmod 0440 "$sudoers.tmp" && visudo -cqf "$sudoers.tmp" && mv "$sudoers.tmp" "$sudoers"
hosts_up=1
typed=$(runuser -u "$name" -- env -i HOME="$tmp/home" USER="$name" LOGNAME="$name" PATH=/usr/local/bin:/usr/bin:/bin \
  LANG=C.UTF-8 bash -c 'cd ~/celery-lab/lessons/16-several-hosts && ./hosts.sh up && ./on.sh w1 ip -4 -brief address \
  && ./on.sh w1 id -un && ./hosts.sh down' 2>&1) || { echo "$typed" >&2; exit 1; }
awk '{print "    " $0}' <<<"$typed"
grep -qE '^eth0(@[^ ]*)? +UP +10\.150\.15\.11/24' <<<"$typed" || { echo "test-learner: w1 has not its address" >&2; exit 1; }
grep -qx "$name" <<<"$typed" || { echo "test-learner: on.sh did not run the command as $name" >&2; exit 1; }
grep -q 'cl-lan: removed' <<<"$typed" || { echo "test-learner: ./hosts.sh down did not remove the hosts" >&2; exit 1; }
hosts_up=0
[ -z "$(find /run/netns -mindepth 1 -maxdepth 1 -name 'cl-*' 2>/dev/null)" ] \
  || { echo "test-learner: hosts left in /run/netns after ./hosts.sh down" >&2; exit 1; }
echo "test-learner: passed"
