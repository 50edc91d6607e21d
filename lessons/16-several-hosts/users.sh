#!/usr/bin/env bash
# The Redis users of lesson 16, written to ~/.config/celery-lab/several-hosts/users.acl (the file
# redis.conf names), each password made once and kept beside it, readable by you only:
#   bash users.sh
#   default  off, and with no password at all: nobody logs in without a user name
#   celery   the rules of celery.acl (what Celery needs, nothing more), then on, with its password
#   admin    everything (for you, with redis-cli: ACL LOG, INFO, MONITOR)
#   replica  what a replica needs of its primary (lesson 18)
#   sentinel what Sentinel needs of the Redis servers it watches (lesson 18)
# and sentinel-users.acl, the users of the Sentinels themselves: default off, sentinel (the Sentinels
# among themselves), celery (asks where the primary is) and admin.
# Each file holds each password's SHA-256, not the password (Redis accepts either: "#<hash>").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${CELERY_LAB_SECRETS:-$HOME/.config/celery-lab}/several-hosts"
mkdir -p "$dir" && chmod 700 "$dir"

password() { # NAME: its password file, made once
  local file="$dir/$1.password"
  if [ ! -s "$file" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$file")
    echo "users.sh: a new password for the user $1 in $file" >&2
  fi
  printf '%s' "$file"
}
sha() { tr -d '\n' < "$1" | sha256sum | cut -d' ' -f1; }

rules="$(grep -v '^#' "$here/celery.acl" | tr '\n' ' ' | tr -s ' ')"
(umask 077 && cat > "$dir/users.acl.new" <<ACL
user default off resetpass nocommands resetkeys resetchannels
user celery ${rules% } on #$(sha "$(password celery)")
user admin reset ~* &* +@all on #$(sha "$(password admin)")
user replica reset +psync +replconf +ping on #$(sha "$(password replica)")
user sentinel reset &__sentinel__:hello +ping +info +role +publish +subscribe +client|setname +client|kill +multi +exec +slaveof +config|rewrite +script|kill on #$(sha "$(password sentinel)")
ACL
cat > "$dir/sentinel-users.acl.new" <<ACL
user default off resetpass nocommands resetkeys resetchannels
user sentinel reset &__sentinel__:hello +ping +publish +client|setname +sentinel|is-master-down-by-addr on #$(sha "$(password sentinel)")
user celery reset +hello +ping +sentinel|masters +sentinel|slaves +sentinel|replicas +sentinel|sentinels on #$(sha "$(password celery)")
user admin reset ~* &* +@all on #$(sha "$(password admin)")
ACL
)
mv "$dir/users.acl.new" "$dir/users.acl"
mv "$dir/sentinel-users.acl.new" "$dir/sentinel-users.acl"
echo "users.sh: $dir/users.acl (users: default off, celery, admin, replica, sentinel)"
echo "users.sh: $dir/sentinel-users.acl (users: default off, sentinel, celery, admin)"
