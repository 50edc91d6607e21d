#!/usr/bin/env bash
# Redis in the VM, as the article does it and as a service should run:
#   built from source by the course's scripts/build-redis.sh into /usr/local (binaries in
#   /usr/local/bin), with systemd support; a `redis` system user; /etc/redis/redis.conf derived
#   from upstream's redis.conf; a systemd unit modelled on upstream's utils/systemd-redis_server.service;
#   vm.overcommit_memory = 1.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
source "$(dirname "$0")/lib.sh"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
workdir=/var/cache/celery-lab/redis

step "Build Redis from source into /usr/local (scripts/build-redis.sh)"
log="$(mktemp)"
bash "$repo/scripts/build-redis.sh" --prefix /usr/local --workdir "$workdir" \
  --make-args "USE_SYSTEMD=yes" --test fast 2>&1 | tee "$log"
grep -q "already installed" "$log" || changed
rm -f "$log"
src="$(find "$workdir/build" -maxdepth 1 -name 'redis-*' | sort -V | tail -n1)"

step "System user redis, data folder /var/lib/redis"
if ! id redis >/dev/null 2>&1; then
  adduser --system --group --no-create-home --home /var/lib/redis redis >/dev/null
  info "created user redis"; changed
else
  info "user redis exists"
fi
if [ ! -d /var/lib/redis ]; then install -d -o redis -g redis -m 0750 /var/lib/redis; changed; fi

step "/etc/redis/redis.conf from upstream's redis.conf"
# Upstream's defaults already bind 127.0.0.1 -::1 with protected-mode yes; we say so explicitly,
# and run supervised by systemd, in the foreground, with data in /var/lib/redis and logs to journald.
conf_changed=0
sed -e 's/^bind .*/bind 127.0.0.1 -::1/' \
    -e 's/^protected-mode .*/protected-mode yes/' \
    -e 's/^# *supervised .*/supervised systemd/' \
    -e 's/^daemonize .*/daemonize no/' \
    -e 's|^dir .*|dir /var/lib/redis|' \
    -e 's/^logfile .*/logfile ""/' \
    -e 's|^pidfile .*|# pidfile: not needed under systemd (Type=notify)|' \
    "$src/redis.conf" | put /etc/redis/redis.conf 0640 && conf_changed=1
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
# hardening
PrivateTmp=yes
ProtectSystem=full
ProtectHome=yes
ReadWritePaths=/var/lib/redis

[Install]
WantedBy=multi-user.target
UNIT
if [ "$unit_changed" = 1 ]; then systemctl daemon-reload; fi
if ! systemctl is-enabled --quiet redis; then systemctl enable --quiet redis; changed; fi
if [ "$unit_changed" = 1 ] || [ "$conf_changed" = 1 ] || ! systemctl is-active --quiet redis; then
  systemctl restart redis; info "redis restarted"; changed
fi
systemctl is-active --quiet redis || { journalctl -u redis --no-pager | tail -n 20; die "redis did not start"; }
info "$(/usr/local/bin/redis-cli ping) from $(/usr/local/bin/redis-server --version | cut -d' ' -f1-3)"
summary
