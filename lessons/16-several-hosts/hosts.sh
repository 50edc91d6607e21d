#!/usr/bin/env bash
# Lesson 16's "hosts": Linux network namespaces on a private virtual link, made on this machine.
#   ./hosts.sh up       make them (a host that is already there is left as it is)
#   ./hosts.sh down     remove them (and with them every address and link they hold), after ending
#                       what still runs on them
#   ./hosts.sh status   list them with their addresses
#   ./hosts.sh names    the namespaces' names, the switch's first (what the stage checker looks for)
# It takes root: not root, it runs itself again with sudo.
# Five namespaces: four hosts, each with one address on 10.150.15.0/24, and the switch between them
# (a bridge, in a namespace of its own, with no address at all):
#   redis 10.150.15.10   w1 10.150.15.11   w2 10.150.15.12   client 10.150.15.20
# A host knows only its own subnet: no default route, so nothing it sends can leave this machine.
# Run a command on a host with on.sh:  ./on.sh w1 COMMAND
# CELERY_LAB_HOSTS (default "cl") prefixes every name, so that the tests make hosts of their own.
set -euo pipefail
if [ "$(id -u)" != 0 ] && [ "${1:-}" != names ]; then  # namespaces, links and addresses are root's to make
  exec sudo ${CELERY_LAB_HOSTS:+CELERY_LAB_HOSTS="$CELERY_LAB_HOSTS"} bash "$0" "$@"
fi
prefix="${CELERY_LAB_HOSTS:-cl}"
net=10.150.15
hosts=(redis:10 w1:11 w2:12 client:20)
lan="$prefix-lan"

have() { [ -e "/run/netns/$1" ]; }  # ip netns add names each namespace there

up() {
  if ! have "$lan"; then
    ip netns add "$lan"
    ip -n "$lan" link set lo up
    ip -n "$lan" link add switch type bridge
    ip -n "$lan" link set switch up
    echo "$lan: the switch"
  fi
  for entry in "${hosts[@]}"; do
    name="${entry%%:*}" ns="$prefix-${entry%%:*}" addr="$net.${entry##*:}"
    have "$ns" && continue
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # a cable: one end (eth0) in the host, the other (to-NAME) plugged into the switch
    ip -n "$lan" link add "to-$name" type veth peer name eth0 netns "$ns"
    ip -n "$lan" link set "to-$name" master switch up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    echo "$ns: $addr"
  done
}

# stop_inside NS: what still runs on a host (a worker, a Redis) ends with it, by PID — deleting the namespace
# alone would leave those processes running, unreachable, on no network at all
stop_inside() {
  local pids left
  pids="$(ip netns pids "$1" | tr '\n' ' ')"
  [ -n "${pids// /}" ] || return 0
  # shellcheck disable=SC2086  # one PID a word
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 100); do  # up to 10 s for a warm shutdown
    [ -n "$(ip netns pids "$1")" ] || break
    sleep 0.1
  done
  left="$(ip netns pids "$1" | tr '\n' ' ')"
  # shellcheck disable=SC2086
  if [ -n "${left// /}" ]; then kill -KILL $left 2>/dev/null || true; fi
  echo "$1: stopped what still ran there (pids ${pids% })"
}

down() {
  for entry in "${hosts[@]}"; do
    ns="$prefix-${entry%%:*}"
    if have "$ns"; then stop_inside "$ns"; ip netns delete "$ns" && echo "$ns: removed"; fi
  done
  if have "$lan"; then ip netns delete "$lan" && echo "$lan: removed"; fi
}

status() {
  for entry in "${hosts[@]}"; do
    ns="$prefix-${entry%%:*}"
    if have "$ns"; then
      printf '%-10s %s\n' "$ns" "$(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}')"
    else
      printf '%-10s %s\n' "$ns" "(not there: ./hosts.sh up)"
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  names) echo "$lan"; for entry in "${hosts[@]}"; do echo "$prefix-${entry%%:*}"; done ;;
  *) echo "usage: ./hosts.sh up|down|status|names" >&2; exit 2 ;;
esac
