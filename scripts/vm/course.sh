#!/usr/bin/env bash
# The course inside the VM: environment for the vagrant user (use the redis service, not a tour
# Redis), the course's venv (as vagrant, in /vagrant/.venv: excluded from the rsync, so it stays),
# and JupyterLab as a service on the VM's loopback, forwarded to the host's 127.0.0.1 only.
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
source "$(dirname "$0")/lib.sh"
repo=/vagrant

step "Environment: /etc/profile.d/celery-lab.sh"
put /etc/profile.d/celery-lab.sh 0644 <<'ENV' || true
# celery-lab: in the VM, Redis is the systemd service built into /usr/local (lesson 01), from the
# verified tarball and build folder under /var/cache/celery-lab/redis (scripts/vm/redis.sh).
export CELERY_LAB_SYSTEM_REDIS=1
export CELERY_LAB_REDIS_PREFIX=/usr/local
export REDIS_WORKDIR=/var/cache/celery-lab/redis
ENV

step "/home/vagrant/celery-lab -> /vagrant (the lessons cd to ~/celery-lab, on both paths)"
if [ "$(readlink /home/vagrant/celery-lab 2>/dev/null)" = "$repo" ]; then
  info "unchanged: /home/vagrant/celery-lab"
else
  runuser -u vagrant -- ln -sfn "$repo" /home/vagrant/celery-lab
  info "linked: /home/vagrant/celery-lab -> $repo"; changed
fi

step "The course's venv (make venv, as vagrant)"
stamp="$repo/.venv/bin/.installed"
if [ -f "$stamp" ] && [ "$stamp" -nt "$repo/requirements.txt" ]; then
  info "up to date"
else
  runuser -u vagrant -- env ${PIP_INDEX_URL:+PIP_INDEX_URL="$PIP_INDEX_URL"} \
    ${PIP_EXTRA_INDEX_URL:+PIP_EXTRA_INDEX_URL="$PIP_EXTRA_INDEX_URL"} \
    ${PIP_TRUSTED_HOST:+PIP_TRUSTED_HOST="$PIP_TRUSTED_HOST"} \
    bash -c 'cd /vagrant && make venv' || die "make venv failed"
  changed
fi

step "JupyterLab service on 127.0.0.1:8888 (celery-lab-jupyter.service)"
token_file=/home/vagrant/.celery-lab-jupyter-token
if [ ! -s "$token_file" ]; then
  runuser -u vagrant -- bash -c "umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > $token_file"
  changed
fi
unit_changed=0
put /etc/systemd/system/celery-lab-jupyter.service 0644 <<'UNIT' && unit_changed=1
[Unit]
Description=JupyterLab for celery-lab (loopback only; forwarded to the host's 127.0.0.1)
After=network.target redis.service

[Service]
User=vagrant
WorkingDirectory=/vagrant
Environment=CELERY_LAB_SYSTEM_REDIS=1 CELERY_LAB_REDIS_PREFIX=/usr/local REDIS_WORKDIR=/var/cache/celery-lab/redis
ExecStart=/bin/sh -c 'exec /vagrant/.venv/bin/python /vagrant/scripts/notebook.py --ip 127.0.0.1 --port 8888 -- --IdentityProvider.token="$(cat /home/vagrant/.celery-lab-jupyter-token)"'
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
if [ "$unit_changed" = 1 ]; then systemctl daemon-reload; fi
if ! systemctl is-enabled --quiet celery-lab-jupyter; then systemctl enable --quiet celery-lab-jupyter; changed; fi
if [ "$unit_changed" = 1 ] || ! systemctl is-active --quiet celery-lab-jupyter; then
  systemctl restart celery-lab-jupyter; changed
fi
info "JupyterLab: http://127.0.0.1:8888/lab?token=$(cat "$token_file")  (on the host too, through the forward)"
summary
