#!/usr/bin/env bash
# What one host of the cluster's VMs (section 7) needs of the secrets made on the client, as a tar stream on standard output
# (for a pipe: it never lands on your computer's disk):
#   ./secrets-for.sh w1 | ...
#   redis   its certificate and key, the users of Redis and of Sentinel, the primary's and its Sentinel's files
#   w1      the same for w1 (the replica), and the password of the user celery (a worker runs there)
#   w2      its certificate and key, the Sentinels' users, its Sentinel's file, celery's password (a worker)
# and for each, the CA's certificate. Never the CA's key, another host's key, or a password it does not use.
set -euo pipefail
dir="${CELERY_LAB_SECRETS:-$HOME/.config/celery-lab}"
case "${1:-}" in
  redis) files=(users.acl sentinel-users.acl ha-primary.conf sentinel-redis.conf) ;;
  w1) files=(users.acl sentinel-users.acl ha-replica.conf sentinel-w1.conf celery.password) ;;
  w2) files=(sentinel-users.acl sentinel-w2.conf celery.password) ;;
  *) echo "usage: ./secrets-for.sh redis|w1|w2   (the client keeps them all: they were made there)" >&2; exit 2 ;;
esac
files=("${files[@]/#/several-hosts/}" several-hosts/tls/ca.crt "several-hosts/tls/$1.crt" "several-hosts/tls/$1.key")
for file in "${files[@]}"; do
  [ -s "$dir/$file" ] || { echo "secrets-for.sh: no $dir/$file: run certs.sh, users.sh (lesson 16, sections 3 and 4) and ha.sh (section 1) first" >&2; exit 1; }
done
# the two folders too (their mode, 0700, with them), and nothing else of them
tar -C "$dir" --no-recursion -c several-hosts several-hosts/tls "${files[@]}"
