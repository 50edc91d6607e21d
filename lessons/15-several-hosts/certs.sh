#!/usr/bin/env bash
# A private certificate authority (CA) for lesson 15, and the certificate of the redis host signed by it:
#   bash certs.sh            into ~/.config/celery-lab/lesson15/tls (made once; run again: nothing changes)
# Whoever trusts ca.crt trusts redis.crt, made for the name "redis" and the address 10.150.15.10 (the
# redis host of hosts.sh). The private keys are readable by you only. Nothing here leaves this machine.
set -euo pipefail
dir="${CELERY_LAB_SECRETS:-$HOME/.config/celery-lab}/lesson15/tls"
days=365
mkdir -p "$dir" && chmod 700 "$dir" && cd "$dir"

if [ ! -s ca.crt ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key)
  openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=celery-lab lesson 15 CA" -out ca.crt
  echo "certs.sh: a new CA in $dir/ca.crt"
fi
if [ ! -s redis.crt ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out redis.key)
  openssl req -new -key redis.key -subj "/CN=redis" -out redis.csr
  printf 'subjectAltName = DNS:redis, IP:10.150.15.10\nextendedKeyUsage = serverAuth\n' > redis.ext
  openssl x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
    -extfile redis.ext -out redis.crt 2>/dev/null
  rm redis.csr redis.ext
  echo "certs.sh: redis.crt for DNS:redis, IP:10.150.15.10, signed by the CA"
fi
openssl verify -CAfile ca.crt redis.crt
