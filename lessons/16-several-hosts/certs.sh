#!/usr/bin/env bash
# A private certificate authority (CA) for lesson 16, and a certificate signed by it for each host that
# serves Redis or Sentinel:
#   bash certs.sh            into ~/.config/celery-lab/several-hosts/tls (made once; run again: nothing changes)
# Whoever trusts ca.crt trusts redis.crt (the name "redis" and the address 10.150.15.10: the redis host of
# hosts.sh), w1.crt and w2.crt (their replica and Sentinels, lesson 18). Each host has a key of its own,
# readable by you only. The CA can sign for the lesson's names and addresses only, and no other CA; its key
# is kept apart, in ../ca, and goes to no host. Nothing here leaves this machine.
set -euo pipefail
dir="${CELERY_LAB_SECRETS:-$HOME/.config/celery-lab}/several-hosts/tls"
ca="$dir/../ca"  # the CA's key and serial number: what signs, and is needed nowhere else
days=365
mkdir -p "$dir" "$ca" && chmod 700 "$dir/.." "$dir" "$ca" && cd "$dir"
if [ -s ca.key ] && [ ! -s "$ca/ca.key" ]; then  # made by an earlier certs.sh, beside the certificates
  mv ca.key "$ca/ca.key" && if [ -f ca.srl ]; then mv ca.srl "$ca/ca.srl"; fi
  echo "certs.sh: the CA's key moved to $ca, apart from what the hosts get"
fi

if [ ! -s ca.crt ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$ca/ca.key")
  openssl req -x509 -new -key "$ca/ca.key" -sha256 -days "$days" -subj "/CN=celery-lab lesson 16 CA" \
    -addext "basicConstraints = critical, CA:TRUE, pathlen:0" -addext "keyUsage = critical, keyCertSign, cRLSign" \
    -addext "nameConstraints = critical, permitted;DNS:redis, permitted;DNS:w1, permitted;DNS:w2, permitted;IP:10.150.15.0/255.255.255.0" \
    -out ca.crt
  echo "certs.sh: a new CA in $dir/ca.crt, for the names redis, w1, w2 and the addresses 10.150.15.0/24 only"
fi
for entry in redis:10 w1:11 w2:12; do
  host="${entry%%:*}" addr="10.150.15.${entry##*:}"
  [ -s "$host.crt" ] && continue
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$host.key")
  openssl req -new -key "$host.key" -subj "/CN=$host" -out "$host.csr"
  printf 'subjectAltName = DNS:%s, IP:%s\nextendedKeyUsage = serverAuth\n' "$host" "$addr" > "$host.ext"
  openssl x509 -req -in "$host.csr" -CA ca.crt -CAkey "$ca/ca.key" -CAserial "$ca/ca.srl" -CAcreateserial \
    -sha256 -days "$days" -extfile "$host.ext" -out "$host.crt" 2>/dev/null
  rm "$host.csr" "$host.ext"
  echo "certs.sh: $host.crt for DNS:$host, IP:$addr, signed by the CA"
done
openssl verify -CAfile ca.crt redis.crt w1.crt w2.crt
