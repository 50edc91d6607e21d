#!/usr/bin/env bash
# Redis in the VM, as the article does it and as a service should run:
#   built from source by the course's scripts/build-redis.sh into /usr/local (binaries in
#   /usr/local/bin), with systemd support; a `redis` system user; /etc/redis/redis.conf derived
#   from upstream's redis.conf; a systemd unit modelled on upstream's utils/systemd-redis_server.service;
#   vm.overcommit_memory = 1. Built with TLS (BUILD_TLS=yes) like every build of the course's; the service itself
#   stays plain, on loopback (the several-hosts lesson's cluster VMs run TLS-only ones).
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
source "$(dirname "$0")/lib.sh"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
workdir=/var/cache/celery-lab/redis

step "Build user celery-lab-build (Redis's test suite runs as it, not as root)"
if ! id celery-lab-build >/dev/null 2>&1; then
  adduser --system --group --no-create-home --home /nonexistent celery-lab-build >/dev/null
  info "created user celery-lab-build"; changed
else
  info "user celery-lab-build exists"
fi

make_args="BUILD_TLS=yes USE_SYSTEMD=yes"
step "Build Redis from source into /usr/local (scripts/build-redis.sh --make-args \"$make_args\")"
log="$(mktemp)"
bash "$repo/scripts/build-redis.sh" --prefix /usr/local --workdir "$workdir" \
  --make-args "$make_args" --test "${CELERY_LAB_REDIS_TEST:-fast}" --test-user celery-lab-build 2>&1 | tee "$log"
grep -q "already installed" "$log" || changed
rm -f "$log"
# the exact release installed (build-redis.sh leaves nothing else there), never "the newest folder there"
version="$(/usr/local/bin/redis-server --version | sed -n 's/.* v=\([^ ]*\) .*/\1/p')"
[ -n "$version" ] || die "cannot tell the version of /usr/local/bin/redis-server"
src="$workdir/build/redis-$version"

step "System user redis, data folder /var/lib/redis"
if ! id redis >/dev/null 2>&1; then
  adduser --system --group --no-create-home --home /var/lib/redis redis >/dev/null
  info "created user redis"; changed
else
  info "user redis exists"
fi
if [ ! -d /var/lib/redis ]; then install -d -o redis -g redis -m 0750 /var/lib/redis; changed; fi

step "/etc/redis/redis.conf from upstream's redis.conf of Redis $version (scripts/vm/redis-conf.sh)"
install -d -o root -g redis -m 0750 /etc/redis
conf_changed=0
rc=0; bash "$repo/scripts/vm/redis-conf.sh" "$src/redis.conf" /etc/redis/redis.conf || rc=$?
case "$rc" in
  0) conf_changed=1; changed ;;
  3) ;;  # unchanged
  *) die "/etc/redis/redis.conf could not be rendered (see above); the service was left as it was" ;;
esac
chown root:redis /etc/redis/redis.conf

step "Kernel setting for Redis: vm.overcommit_memory = 1"
# Redis forks to save in the background (BGSAVE, AOF rewrite). With the default heuristic
# overcommit a fork of a large Redis can fail; Redis warns at start. (Its other classic warnings:
# transparent huge pages, which add latency after fork — Debian's default `madvise` is fine — and
# net.core.somaxconn below Redis's tcp-backlog of 511, which Debian 12's default 4096 is not.)
if put /etc/sysctl.d/60-redis.conf 0644 <<'CONF'
# celery-lab: let Redis fork for background saves without failing or warning (see scripts/vm/redis.sh)
vm.overcommit_memory = 1
CONF
then sysctl -q -p /etc/sysctl.d/60-redis.conf; fi

step "systemd unit redis.service"
unit_changed=0
put /etc/systemd/system/redis.service 0644 <<'UNIT' && unit_changed=1
# Modelled on Redis's own utils/systemd-redis_server.service (celery-lab, scripts/vm/redis.sh).
[Unit]
Description=Redis data structure server (built from source by celery-lab)
Documentation=https://redis.io/documentation
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/local/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no
LimitNOFILE=10032
NoNewPrivileges=yes
Type=notify
TimeoutStartSec=infinity
TimeoutStopSec=infinity
UMask=0077
User=redis
Group=redis
WorkingDirectory=/var/lib/redis
# hardening: a read-only system, no devices, no kernel knobs, only IP and Unix sockets, no capabilities
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=/var/lib/redis
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
CapabilityBoundingSet=

[Install]
WantedBy=multi-user.target
UNIT
if [ "$unit_changed" = 1 ]; then systemctl daemon-reload; fi
if ! systemctl is-enabled --quiet redis; then systemctl enable --quiet redis; changed; fi
if [ "$unit_changed" = 1 ] || [ "$conf_changed" = 1 ] || ! systemctl is-active --quiet redis; then
  systemctl restart redis; info "redis restarted"; changed
fi
systemctl is-active --quiet redis || { journalctl -u redis --no-pager | tail -n 20; die "redis did not start"; }
# What runs is what was rendered: read it back from the server (with a timeout: never hang here).
cli() { timeout 10 /usr/local/bin/redis-cli --raw "$@" 2>&1 || true; }
[ "$(cli ping)" = PONG ] || die "redis does not answer PING on 127.0.0.1:6379"
running="bind $(cli config get bind | tail -n1), protected-mode $(cli config get protected-mode | tail -n1)"
[ "$running" = "bind 127.0.0.1 -::1, protected-mode yes" ] || die "the running Redis has $running: not what /etc/redis/redis.conf says"
[[ "$(cli config set dir /tmp)" == NOPERM* ]] || die "the default user may still run CONFIG SET"
[[ "$(cli acl setuser default +config)" == NOPERM* ]] || die "the default user may still change its ACL"
info "PONG from $(/usr/local/bin/redis-server --version | cut -d' ' -f1-3); $running; CONFIG SET and ACL SETUSER denied"
summary
