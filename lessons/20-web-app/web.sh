#!/usr/bin/env bash
# Serve the web app on this machine's loopback only, with gunicorn (two worker processes, and no
# control socket: nothing to steer it from outside):
#   bash web.sh [PORT]      (8000 unless told)
# The password is made once and kept in ~/.config/celery-lab/web-password, readable by you only;
# the app reads it there (it is on no command line, which any user of the machine can read with `ps`).
set -euo pipefail
password_file="$HOME/.config/celery-lab/web-password"
if [ ! -s "$password_file" ]; then
  mkdir -p "$(dirname "$password_file")"
  (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(18))' > "$password_file")
  echo "web.sh: a new password for the user learner is in $password_file"
fi
exec gunicorn --bind "127.0.0.1:${1:-8000}" --workers 2 --access-logfile - --no-control-socket 'web:create_app()'
