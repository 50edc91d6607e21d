#!/usr/bin/env bash
# `kill -SIGNAL $(redis-cli get pid:NAME)`, made safe: the PID a task noted in Redis is checked before the kill.
#   ./kill-noted.sh -9 pool-process      ./kill-noted.sh -TERM worker
# Anyone who may write to this Redis (no password on loopback: lesson 03, section 1) could note another PID
# there — or -1, which kill takes as "every process you may signal". So the value must be a PID, and that
# PID a celery process of yours; otherwise nothing is killed, and it says why.
set -euo pipefail
[ $# = 2 ] || { echo "usage: ./kill-noted.sh -SIGNAL NAME   (NAME: pool-process or worker)" >&2; exit 2; }
signal="$1" key="pid:$2"
pid="$(redis-cli get "$key")"
if ! [[ "$pid" =~ ^[1-9][0-9]{0,9}$ ]]; then
  echo "kill-noted.sh: $key holds '$pid', not a PID: nothing killed" >&2; exit 1
fi
read -r uid args < <(ps -o uid=,args= -p "$pid") || true
if [ "${uid:-}" != "$(id -u)" ] || [[ "${args:-}" != *celery* ]]; then
  echo "kill-noted.sh: $key names PID $pid, which is not a celery process of yours (${args:-no process}): nothing killed" >&2
  exit 1
fi
kill "$signal" "$pid"
