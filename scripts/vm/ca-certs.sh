#!/usr/bin/env bash
# Trust in the VM exactly the extra CA certificates the host trusts (a TLS-inspecting proxy, as in
# many companies): the Vagrantfile runs scripts/vm/host-cas.py on the host and hands its answer over
# as CELERY_LAB_HOST_CAS (NAME:BASE64-PEM entries). No staging folder: nothing lying on the VM's
# disk can be planted into the trust store. Each one is checked to be a certificate; a certificate
# carried earlier that the host no longer trusts is removed again. None handed over: none kept.
#
# CELERY_LAB_CA_DIR and CELERY_LAB_CA_UPDATE (defaults below) let the tests run this on a scratch folder.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
source "$(dirname "$0")/lib.sh"
dir="${CELERY_LAB_CA_DIR:-/usr/local/share/ca-certificates/celery-lab}"
update="${CELERY_LAB_CA_UPDATE:-update-ca-certificates --fresh}"

step "Extra CA certificates from the host"
install -d -m 0755 "$dir"
wanted=()
for entry in ${CELERY_LAB_HOST_CAS:-}; do
  name="${entry%%:*}" pem=""
  [[ "$name" =~ ^[A-Za-z0-9._-]+\.crt$ ]] || die "a certificate from the host has a bad name: '$name'"
  pem="$(base64 -d <<<"${entry#*:}" 2>/dev/null)" || die "$name: not base64"
  openssl x509 -noout <<<"$pem" 2>/dev/null || die "$name: not a PEM certificate"
  put "$dir/$name" 0644 <<<"$pem" || true  # (not in a pipe: put counts in this shell)
  wanted+=("$name")
done
[ ${#wanted[@]} -gt 0 ] || info "none: the host trusts no extra CA certificate"
shopt -s nullglob
for cert in "$dir"/*; do
  if [[ " ${wanted[*]} " != *" $(basename "$cert") "* ]]; then
    rm -rf -- "$cert"
    info "removed: $cert (not a certificate the host trusts)"; changed
  fi
done
if [ "$CHANGES" -gt 0 ]; then
  $update >/dev/null
  info "$update: done"
fi
summary
