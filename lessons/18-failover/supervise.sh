#!/usr/bin/env bash
# Run a command, and run it again whenever it fails: a stand-in for what a real host does with systemd's
# Restart=on-failure, supervisord or Kubernetes (a worker holding messages exits when its broker goes away:
# lesson 14, section 2):
#   ./supervise.sh celery -A failover worker --loglevel=info --pool threads -c 2 -n ha@w1
# It ends when the command ends well (status 0), or after Ctrl-C or SIGTERM, once the command has ended.
set -uo pipefail
stop=0
trap 'stop=1' INT TERM  # the command gets the same signal (the terminal's, or the group's) and ends itself
while true; do
  "$@"
  status=$?
  if [ "$status" = 0 ] || [ "$stop" = 1 ]; then exit "$status"; fi
  echo "supervise.sh: $1 exited with status $status; starting it again in 1 s" >&2
  sleep 1
done
