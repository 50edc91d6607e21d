#!/usr/bin/env bash
# Lesson 18's configuration, written anew into ~/.config/celery-lab/several-hosts (a fresh start each time:
# the primary on the redis host, the replica on w1, Sentinels that know nothing yet):
#   bash ha.sh
#   ha-primary.conf, ha-replica.conf       primary.conf and replica.conf, with the replication password
#   sentinel-redis.conf, -w1.conf, -w2.conf sentinel.conf for each host, with the Sentinel password
# Run users.sh first: it makes the users and the passwords these files name. Readable by you only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${CELERY_LAB_SECRETS:-$HOME/.config/celery-lab}/several-hosts"
for user in replica sentinel; do
  [ -s "$dir/$user.password" ] || { echo "ha.sh: no password for the user $user: run ./users.sh first (lesson 16, section 4)" >&2; exit 1; }
done
umask 077
chmod 700 "$dir"  # the servers rewrite these files (Sentinel at every start): only you may look inside
for role in primary replica; do
  { cat "$here/$role.conf"
    echo "# ha.sh: the replica's login to its primary (after a failover, the other server is the replica)"
    echo "masteruser replica"
    echo "masterauth $(cat "$dir/replica.password")"
  } > "$dir/ha-$role.conf"
done
for entry in redis:10 w1:11 w2:12; do
  host="${entry%%:*}" addr="10.150.15.${entry##*:}"
  { sed -e "/^#/!s/HOST/$host/g" -e "/^#/!s/ADDR/$addr/g" "$here/sentinel.conf"
    echo "# ha.sh: the passwords of the user sentinel, on the Redis servers and on the other Sentinels"
    echo "sentinel auth-pass lab $(cat "$dir/sentinel.password")"
    echo "sentinel sentinel-pass $(cat "$dir/sentinel.password")"
  } > "$dir/sentinel-$host.conf"
done
rm -f "$dir"/ha-*.rdb
echo "ha.sh: ha-primary.conf ha-replica.conf sentinel-redis.conf sentinel-w1.conf sentinel-w2.conf in $dir"
