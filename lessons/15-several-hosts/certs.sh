#!/usr/bin/env bash
# A private certificate authority (CA) for lesson 15, and a certificate signed by it for each host that
# serves Redis or Sentinel:
#   bash certs.sh            into ~/.config/celery-lab/lesson15/tls (made once; run again: nothing changes)
# Whoever trusts ca.crt trusts redis.crt (the name "redis" and the address 10.150.15.10: the redis host of
# hosts.sh), w1.crt and w2.crt (their replica and Sentinels, section 10). Each host has a key of its own,
# readable by you only. Nothing here leaves this machine.
set -euo pipefail
dir="${CELERY_LAB_SECRETS:-$HOME/.config/celery-lab}/lesson15/tls"
days=365
mkdir -p "$dir" && chmod 700 "$dir" && cd "$dir"

if [ ! -s ca.crt ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key)
  openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=celery-lab lesson 15 CA" -out ca.crt
  echo "certs.sh: a new CA in $dir/ca.crt"
fi
for entry in redis:10 w1:11 w2:12; do
  host="${entry%%:*}" addr="10.150.15.${entry##*:}"
  [ -s "$host.crt" ] && continue
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$host.key")
  openssl req -new -key "$host.key" -subj "/CN=$host" -out "$host.csr"
  printf 'subjectAltName = DNS:%s, IP:%s\nextendedKeyUsage = serverAuth\n' "$host" "$addr" > "$host.ext"
  openssl x509 -req -in "$host.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
    -extfile "$host.ext" -out "$host.crt" 2>/dev/null
  rm "$host.csr" "$host.ext"
  echo "certs.sh: $host.crt for DNS:$host, IP:$addr, signed by the CA"
done
openssl verify -CAfile ca.crt redis.crt w1.crt w2.crt
