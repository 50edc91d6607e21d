#!/usr/bin/env bash
# Install lesson 21's services on this machine, the course's VM (systemd, root):   sudo ./install.sh
#   /opt/celery-lab/app    the app (service.py), root's: the services read it, and cannot change it
#   /opt/celery-lab/venv   the course's venv, linked (a server of your own gets one of its own here)
#   /etc/celery-lab/       celery.env; flower.env with Flower's password, made once, readable by root only
#   /etc/systemd/system/   celery-worker, celery-beat and celery-flower.service: enabled and started, each
#                          as a system user of its own, of the same name (no login, no home)
# Run again after a change: it copies what changed and says so; the running services keep running until you
# restart them (a deploy: section 4).    sudo ./install.sh --remove: all of it stopped and removed again.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
venv="$(dirname "$(dirname "$here")")/.venv"
units=(celery-worker celery-beat celery-flower)
[ "$(id -u)" = 0 ] || { echo "install.sh: run it as root: sudo ./install.sh (lesson 21, section 3)" >&2; exit 1; }
[ -d /run/systemd/system ] || { echo "install.sh: systemd does not run this machine: use the course's VM (lesson 01)" >&2; exit 1; }

if [ "${1:-}" = --remove ]; then
  systemctl disable --now --quiet "${units[@]/%/.service}" 2>/dev/null || true
  for unit in "${units[@]}"; do  # the unit, its drop-ins, and what systemctl set-property set (section 5)
    rm -rf "/etc/systemd/system/$unit.service" "/etc/systemd/system/$unit.service.d" \
      "/etc/systemd/system.control/$unit.service.d" "/run/systemd/system.control/$unit.service.d"
  done
  rm -rf /etc/celery-lab /opt/celery-lab /var/lib/celery-beat
  systemctl daemon-reload
  for user in "${units[@]}"; do if id "$user" >/dev/null 2>&1; then userdel "$user"; fi; done
  echo "install.sh: the services are stopped and removed"
  exit 0
fi

[ -x "$venv/bin/celery" ] || { echo "install.sh: no venv in $venv: make venv (lesson 04)" >&2; exit 1; }
copy() { # SOURCE TARGET MODE: install the file when it differs, and say so
  if ! cmp -s "$1" "$2"; then install -D -o root -g root -m "$3" "$1" "$2"; echo "install.sh: $2"; fi
}
for user in "${units[@]}"; do
  if ! id "$user" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
    echo "install.sh: user $user"
  fi
done
install -d -o root -g root -m 0755 /opt/celery-lab /opt/celery-lab/app /etc/celery-lab
copy "$here/service.py" /opt/celery-lab/app/service.py 0644
[ "$(readlink /opt/celery-lab/venv)" = "$venv" ] || { ln -sfn "$venv" /opt/celery-lab/venv; echo "install.sh: /opt/celery-lab/venv -> $venv"; }
copy "$here/celery.env" /etc/celery-lab/celery.env 0644
if [ ! -s /etc/celery-lab/flower.env ]; then
  (umask 077 && printf 'FLOWER_BASIC_AUTH=learner:%s\n' "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" \
    > /etc/celery-lab/flower.env)
  echo "install.sh: /etc/celery-lab/flower.env (Flower's password, root's only)"
fi
for unit in "${units[@]}"; do copy "$here/$unit.service" "/etc/systemd/system/$unit.service" 0644; done
systemctl daemon-reload
systemctl enable --now --quiet "${units[@]/%/.service}"
echo "install.sh: $(systemctl is-active "${units[@]}" | paste -sd' ') (${units[*]})"
