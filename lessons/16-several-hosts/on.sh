#!/usr/bin/env bash
# Run a command on one of lesson 16's hosts (hosts.sh), as yourself:
#   ./on.sh w1 celery -A tlsapp worker -n w1@%h
# Entering a network namespace takes root (sudo, unless you are root already); the command itself
# then runs with your own user, home and PATH again (setpriv) — and nothing else of this terminal's
# environment (a CELERY_BROKER_URL exported in lesson 14, say), as on a host of its own.
# On a machine that *is* the host — the Vagrantfile's cluster profile names its VMs redis, w1, w2 and
# client (lesson 18, section 7) — and has no namespace of that name, the command runs right there, the same way.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: ./on.sh HOST COMMAND [ARGS...]   (HOST: redis, w1, w2 or client)" >&2; exit 2; }
host="$1" ns="${CELERY_LAB_HOSTS:-cl}-$1"; shift
clean_env=(env -i HOME="$HOME" PATH="$PATH" LANG="${LANG:-C.UTF-8}" ${TERM:+TERM="$TERM"}
  ${PYTHONUNBUFFERED:+PYTHONUNBUFFERED="$PYTHONUNBUFFERED"} ${CELERY_LAB_HOSTS:+CELERY_LAB_HOSTS="$CELERY_LAB_HOSTS"})
# Files made on a host are yours alone: Redis and Sentinel rewrite their config files (passwords included)
# as 0644 minus the umask of the process (Redis 7.0's config.c), and so would make them readable by all.
umask 077
if [ ! -e "/run/netns/$ns" ]; then
  if [ "$(hostname)" = "$host" ]; then exec "${clean_env[@]}" "$@"; fi
  echo "on.sh: no host $ns: make the hosts first with ./hosts.sh up (lesson 16, section 1);" \
    "with the cluster's VMs, type it on the VM $host (vagrant ssh $host; lesson 18, section 7)" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then  # root already (or root of a user namespace, as the course's tour): no one to go back to
  exec ip netns exec "$ns" "${clean_env[@]}" "$@"
fi
exec sudo ip netns exec "$ns" setpriv --reuid "$(id -u)" --regid "$(id -g)" --init-groups "${clean_env[@]}" "$@"
