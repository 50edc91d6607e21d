#!/usr/bin/env bash
# Render the VM's /etc/redis/redis.conf from upstream's redis.conf of the exact release built.
#
# Usage: scripts/vm/redis-conf.sh UPSTREAM_REDIS_CONF OUT
# Writes OUT only when the render is complete: upstream's file must exist and the result must carry
# every setting below. A failed or empty render exits 1 and leaves OUT as it was — an empty
# redis.conf would make Redis fall back to its built-in defaults at the next restart.
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 UPSTREAM_REDIS_CONF OUT" >&2; exit 2; }
upstream=$1 out=$2
fail() { printf 'redis-conf: error: %s; %s left as it was\n' "$*" "$out" >&2; exit 1; }
[ -s "$upstream" ] || fail "upstream's redis.conf not found or empty: $upstream"

tmp="$(mktemp "$(dirname "$out")/.redis.conf.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# Upstream's defaults already bind 127.0.0.1 -::1 with protected-mode yes; we say so explicitly,
# run supervised by systemd, in the foreground, with data in /var/lib/redis and logs to journald.
sed -e 's/^bind .*/bind 127.0.0.1 -::1/' \
    -e 's/^protected-mode .*/protected-mode yes/' \
    -e 's/^# *supervised auto$/supervised systemd/' \
    -e 's/^daemonize .*/daemonize no/' \
    -e 's|^dir .*|dir /var/lib/redis|' \
    -e 's/^logfile .*/logfile ""/' \
    -e 's|^pidfile .*|# pidfile: not needed under systemd (Type=notify)|' \
    "$upstream" >"$tmp" || fail "sed failed on $upstream"
# The default user may do everything but change the configuration or the ACL: the host's JupyterLab
# forward arrives on the VM's loopback, where protected mode does not apply, and CONFIG SET (dir,
# dbfilename) is the classic way from a reachable Redis to writing files anywhere Redis may write; with
# ACL SETUSER the default user could give itself CONFIG back (ACL WHOAMI, harmless, stays).
cat >>"$tmp" <<'ACL'

# celery-lab (scripts/vm/redis-conf.sh): everything but CONFIG SET/RESETSTAT/REWRITE and ACL (but ACL
# WHOAMI) for the default user.
user default on nopass sanitize-payload ~* &* +@all -config +config|get -acl +acl|whoami
ACL
for setting in '^bind 127\.0\.0\.1 -::1$' '^protected-mode yes$' '^supervised systemd$' '^daemonize no$' \
               '^dir /var/lib/redis$' '^user default on nopass .* -config \+config\|get -acl \+acl\|whoami$'; do
  grep -Eq "$setting" "$tmp" || fail "the render lacks /$setting/ (is $upstream upstream's redis.conf?)"
done
if [ -f "$out" ] && cmp -s "$tmp" "$out"; then
  echo "    unchanged: $out"
  exit 3  # unchanged: the caller counts changes
fi
chmod 0640 "$tmp"
mv "$tmp" "$out"
echo "    wrote: $out"
