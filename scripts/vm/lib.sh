# shellcheck shell=bash
# Shared by the VM scripts: announce steps, write files only when their content changes, and count
# what changed — so a second `vagrant provision` can say "changed: 0".
CHANGES=0

STEP_AT=""  # when the current step began (SECONDS): each step ends with the time it took
step_took() { if [ -n "$STEP_AT" ]; then printf '    (%d s)\n' $((SECONDS - STEP_AT)); fi; }
step() { step_took; STEP_AT=$SECONDS; printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\n%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# put FILE MODE < content: install the content as FILE (mode MODE) unless it is already there.
put() {
  local target=$1 mode=$2 tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    info "unchanged: $target"
    return 1
  fi
  if ! install -D -m "$mode" "$tmp" "$target"; then
    rm -f "$tmp"
    die "could not write $target"
  fi
  rm -f "$tmp"
  info "wrote: $target"
  CHANGES=$((CHANGES + 1))
  return 0
}

changed() { CHANGES=$((CHANGES + 1)); }

summary() { step_took; printf '\n%s: changed: %d\n' "$(basename "$0")" "$CHANGES"; }

# remove_tree DIR: unmount everything mounted below DIR (deepest first), then delete DIR without
# leaving its file system. If a mount is still there (busy, say), stop and delete nothing: under a
# chroot's bind mounts `rm -rf` would go on into the host's /dev, /proc and /sys.
remove_tree() {
  local dir=$1 left
  [ -d "$dir" ] || return 0
  findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0 "/", d) == 1' | sort -r | while read -r target; do
    umount -R "$target" 2>/dev/null || true
  done
  left="$(findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0 "/", d) == 1')"
  if [ -n "$left" ]; then
    printf '\n%s: error: still mounted, so %s is left in place: %s\n' "$(basename "$0")" "$dir" "$left" >&2
    return 1
  fi
  rm -rf --one-file-system -- "$dir"
}

# host_tools PKG...: the test scripts' host tools, installed through apt when missing (as root).
host_tools() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then info "all present"; return 0; fi
  info "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
