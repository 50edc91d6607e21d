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
  # pip checks TLS against the system's bundle, which holds the host's extra CAs (ca-certs.sh);
  # the host's index, if it has its own, and nothing else of its pip settings (see the Vagrantfile).
  runuser -u vagrant -- env PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    ${PIP_INDEX_URL:+PIP_INDEX_URL="$PIP_INDEX_URL"} \
    bash -c 'cd /vagrant && make venv' || die "make venv failed"
  changed
fi

step "JupyterLab service on 127.0.0.1:8888 (celery-lab-jupyter.service)"
token_file=/home/vagrant/.celery-lab-jupyter-token
if [ ! -s "$token_file" ]; then
  # 24 random bytes as hex, written by vagrant with umask 077 (only vagrant can read it)
  runuser -u vagrant -- bash -c "umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > $token_file"
  [ -s "$token_file" ] || die "could not write the JupyterLab token $token_file"
  info "new login token in $token_file"; changed
fi
put /usr/local/bin/celery-lab-jupyter-url 0755 <<'URL' || true
#!/bin/sh
# celery-lab: print JupyterLab's login URL (the token stays out of logs and process lists).
# On the host: vagrant ssh -c celery-lab-jupyter-url   (another host port: celery-lab-jupyter-url PORT)
set -eu
token="$(cat "$HOME/.celery-lab-jupyter-token")"
printf 'http://127.0.0.1:%s/lab?token=%s\n' "${1:-8888}" "$token"
URL
unit_changed=0
put /etc/systemd/system/celery-lab-jupyter.service 0644 <<'UNIT' && unit_changed=1
[Unit]
Description=JupyterLab for celery-lab (loopback only; forwarded to the host's 127.0.0.1)
After=network.target redis.service

[Service]
User=vagrant
WorkingDirectory=/vagrant
Environment=CELERY_LAB_SYSTEM_REDIS=1 CELERY_LAB_REDIS_PREFIX=/usr/local REDIS_WORKDIR=/var/cache/celery-lab/redis
# The login token, read from its file by scripts/notebook.py: not on the command line (ps), and no
# JupyterLab at all if the file is missing or empty (notebook.py exits 2; no restart loop for that).
Environment=JUPYTER_TOKEN_FILE=/home/vagrant/.celery-lab-jupyter-token
ExecStart=/vagrant/.venv/bin/python /vagrant/scripts/notebook.py --ip 127.0.0.1 --port 8888
Restart=on-failure
RestartPreventExitStatus=2
# hardening: its terminals are a shell as vagrant, but no way up to root (sudo) from there
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=full
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictSUIDSGID=yes
LockPersonality=yes
CapabilityBoundingSet=

[Install]
WantedBy=multi-user.target
UNIT
if [ "$unit_changed" = 1 ]; then systemctl daemon-reload; fi
if ! systemctl is-enabled --quiet celery-lab-jupyter; then systemctl enable --quiet celery-lab-jupyter; changed; fi
if [ "$unit_changed" = 1 ] || ! systemctl is-active --quiet celery-lab-jupyter; then
  systemctl restart celery-lab-jupyter; changed
fi
info "JupyterLab on 127.0.0.1:8888 (on the host too, through the forward); its login URL, from the host:"
info "    vagrant ssh -c celery-lab-jupyter-url"
summary
