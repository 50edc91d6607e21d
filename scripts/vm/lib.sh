# shellcheck shell=bash
# Shared by the VM scripts: announce steps, write files only when their content changes, and count
# what changed — so a second `vagrant provision` can say "changed: 0".
CHANGES=0

step() { printf '\n==> %s\n' "$*"; }
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
  install -D -m "$mode" "$tmp" "$target"
  rm -f "$tmp"
  info "wrote: $target"
  CHANGES=$((CHANGES + 1))
  return 0
}

changed() { CHANGES=$((CHANGES + 1)); }

summary() { printf '\n%s: changed: %d\n' "$(basename "$0")" "$CHANGES"; }
