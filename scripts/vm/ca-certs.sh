#!/usr/bin/env bash
# Carry the host's extra CA certificates into the VM (a TLS-inspecting proxy, as in many companies):
# the Vagrantfile uploads the host's /usr/local/share/ca-certificates/*.crt to /tmp/celery-lab-ca/.
# None uploaded: nothing changes.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
source "$(dirname "$0")/lib.sh"

step "Extra CA certificates from the host"
shopt -s nullglob
certs=(/tmp/celery-lab-ca/*.crt)
if [ ${#certs[@]} -eq 0 ]; then
  info "none: the host has no extra CA certificates"
else
  for cert in "${certs[@]}"; do
    # shellcheck disable=SC2094  # reads the uploaded file, writes another one
    put "/usr/local/share/ca-certificates/celery-lab/$(basename "$cert")" 0644 <"$cert" || true
  done
  if [ "$CHANGES" -gt 0 ]; then
    update-ca-certificates >/dev/null
    info "update-ca-certificates: done"
  fi
fi
summary
