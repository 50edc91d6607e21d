#!/usr/bin/env bash
# The deb-src twins of this system's apt sources, for build-redis.sh's private apt configuration
# (Debian's source package of Redis, when download.redis.io is out of reach).
#
# Usage: scripts/apt-src-sources.sh APT_ETC OUT_DIR
#   APT_ETC  the apt configuration to read (/etc/apt); only read, never changed
#   OUT_DIR  where the twins go (its old files are replaced)
# Options that switch apt's signature checks off are dropped on the way — `[trusted=yes]`,
# `allow-insecure=`, `allow-weak=`, `allow-downgrade-to-insecure=` in one-line sources, the same
# fields in deb822 .sources — so the copy is checked against Debian's signed archive even where
# the system's own sources are not.
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 APT_ETC OUT_DIR" >&2; exit 2; }
etc=$1 out=$2
mkdir -p "$out"
rm -f "$out"/*.list "$out"/*.sources
insecure='(trusted|allow-insecure|allow-weak|allow-downgrade-to-insecure)'
n=0
for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  # deb [opt=v opt2=v] uri suite comp...  ->  deb-src [safe options] uri suite comp...
  sed -En 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$f" \
    | sed -E "s/[[:space:]]*\\b$insecure(\\+|-)?=[^][:space:]]*//g; s/\\[[[:space:]]*\\][[:space:]]*//; s/\\[[[:space:]]+/[/" \
    >"$out/src$n.list"
  n=$((n + 1))
done
for f in "$etc"/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed -E 's/^Types:.*/Types: deb-src/' "$f" | grep -Eiv "^$insecure:" >"$out/src$n.sources" || true
  n=$((n + 1))
done
if grep -Eiqs "$insecure" "$out"/*; then
  echo "apt-src-sources: an option that turns off apt's checks is still in $out" >&2
  exit 1
fi
