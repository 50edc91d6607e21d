#!/usr/bin/env bash
# The course inside the VM: environment for the vagrant user (use the redis service, not a tour
# Redis), the course's venv (as vagrant, in /vagrant/.venv: excluded from the rsync, so it stays),
# and JupyterLab as a service on the VM's loopback, forwarded to the host's 127.0.0.1 only — as a user
# of its own, without sudo, on its own copy of the course.
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

step "vagrant reads the system journal (group systemd-journal): lesson 21's services log there"
if id -nG vagrant | tr ' ' '\n' | grep -qx systemd-journal; then
  info "unchanged: vagrant is in systemd-journal"
else
  usermod -a -G systemd-journal vagrant
  info "added vagrant to systemd-journal (from its next login)"; changed
fi

step "The course's venv (make venv INSTALLER=uv, as vagrant)"
stamp="$repo/.venv/bin/.installed"
if [ -f "$stamp" ] && [ "$stamp" -nt "$repo/requirements.txt" ]; then
  info "up to date"
else
  # The same lock as on the host, hashes checked, but installed by uv: pip's own Python is slow where
  # the CPU is emulated (about 400 s of `vagrant up` in the course's CI; see requirements-uv.in).
  # pip (which installs uv) and uv check TLS against the system's bundle, which holds the host's extra
  # CAs (ca-certs.sh); the host's index, if it has its own, and nothing else of its pip settings (see
  # the Vagrantfile). They reach pip and uv through the environment (runuser without --login keeps it),
  # never a command line: an index URL may carry credentials, and `ps` shows every command line.
  export PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
  if [ -n "${PIP_INDEX_URL:-}" ]; then export PIP_INDEX_URL UV_DEFAULT_INDEX="$PIP_INDEX_URL"; fi
  runuser -u vagrant -- bash -c 'cd /vagrant && make venv INSTALLER=uv' || die "make venv failed"
  changed
fi

# JupyterLab runs code and opens terminals for whoever holds its token. As vagrant (passwordless sudo,
# write access to /vagrant, whose scripts root runs at the next provision) the token would be root in
# the VM: it runs as celery-lab-jupyter, a user with no sudo and no write access to anything root runs,
# on a copy of the course of its own (/vagrant's venv and the redis service are only read).
jupyter_user=celery-lab-jupyter
jupyter_home=/var/lib/celery-lab-jupyter
step "JupyterLab's user $jupyter_user (no sudo) and its copy of the course in $jupyter_home/celery-lab"
if ! id "$jupyter_user" >/dev/null 2>&1; then
  adduser --system --group --home "$jupyter_home" --shell /bin/bash "$jupyter_user" >/dev/null
  info "created user $jupyter_user"; changed
fi
if [ "$(stat -c %a "$jupyter_home")" != 700 ]; then chmod 700 "$jupyter_home"; changed; fi
# The course as /vagrant holds it now, without what the VM built there; a notebook saved in JupyterLab
# (newer than the course's) is kept (--update), nothing is deleted. vagrant rsync + vagrant provision
# bring a changed course in.
# It copies as itself: what it cannot read in /vagrant (a file private on your computer) stays out.
rc=0
err="$(mktemp)"  # root's own file: never a path in the user's home, where a symlink could point anywhere
# Not copied: what git ignores there (the venv, Redis's build, what the lessons leave behind when played).
copied="$(runuser -u "$jupyter_user" -- rsync -a --omit-dir-times --update --itemize-changes --exclude .git/ \
  --exclude-from=/vagrant/.gitignore /vagrant/ "$jupyter_home/celery-lab/" 2>"$err")" || rc=$?
case "$rc" in
  0) ;;
  23) info "left out, not readable for $jupyter_user: $(grep -o '"[^"]*"' "$err" | tr '\n' ' ')" ;;
  *) cat "$err" >&2
     die "could not copy /vagrant for $jupyter_user (rsync exit $rc): is your clone's folder private on your computer? (chmod 755 it there, then vagrant reload)" ;;
esac
rm -f "$err"
if [ -n "$copied" ]; then
  copied="$(awk '$1 ~ /^[<>ch.][fdL]/ && $2 != "./" {print $2}' <<<"$copied")"  # rsync's itemized names
  info "copied: $(wc -l <<<"$copied") files and folders: $(head -n 8 <<<"$copied" | tr '\n' ' ')…"
  changed
else info "unchanged: its copy"; fi
if [ "$(readlink "$jupyter_home/celery-lab/.venv")" != /vagrant/.venv ]; then
  runuser -u "$jupyter_user" -- ln -sfn /vagrant/.venv "$jupyter_home/celery-lab/.venv"
  info "linked: its .venv -> /vagrant/.venv (read only for it)"; changed
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
# a user of its own: no sudo, no write access to /vagrant (whose scripts root runs) or to vagrant's home
User=celery-lab-jupyter
WorkingDirectory=/var/lib/celery-lab-jupyter/celery-lab
Environment=CELERY_LAB_SYSTEM_REDIS=1 CELERY_LAB_REDIS_PREFIX=/usr/local REDIS_WORKDIR=/var/cache/celery-lab/redis
# The login token: vagrant's file, handed over by systemd as a credential only this service can read,
# read by scripts/notebook.py — not on a command line (ps), not in the environment its kernels and
# terminals inherit, and no JupyterLab at all if it is missing or empty (exit 2; no restart loop for that).
LoadCredential=token:/home/vagrant/.celery-lab-jupyter-token
Environment=JUPYTER_TOKEN_FILE=/run/credentials/celery-lab-jupyter.service/token
# notebook.py from /vagrant (which this user cannot change), serving the notebooks of its own copy
ExecStart=/vagrant/.venv/bin/python /vagrant/scripts/notebook.py --ip 127.0.0.1 --port 8888 --course /var/lib/celery-lab-jupyter/celery-lab
Restart=on-failure
RestartPreventExitStatus=2
# hardening: its terminals are a shell as celery-lab-jupyter, with no way up from there
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
