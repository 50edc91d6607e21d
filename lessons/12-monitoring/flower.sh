#!/usr/bin/env bash
# Start Flower for watched.py on this machine's loopback only, behind a password:
#   bash flower.sh [more Flower options]
# The password is made once and kept in ~/.config/celery-lab/flower-password, readable by you only.
# It reaches Flower in its environment (FLOWER_BASIC_AUTH), not on its command line, which any user
# of the machine can read with `ps`.
set -euo pipefail
password_file="$HOME/.config/celery-lab/flower-password"
if [ ! -s "$password_file" ]; then
  mkdir -p "$(dirname "$password_file")"
  (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(18))' > "$password_file")
  echo "flower.sh: a new password for the user learner is in $password_file"
fi
FLOWER_BASIC_AUTH="learner:$(cat "$password_file")" \
  exec celery -A watched flower --address=127.0.0.1 --port=5555 "$@"
