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

# --- The machine as the test suites found it ------------------------------------------------------------------
# What a suite running as root may change on this machine and must give back: the kernel's forwarding switches,
# the firewall (libvirt's NAT network adds LIBVIRT_* chains and turns on IPv4 forwarding) and /dev/kvm's mode.
HOST_SYSCTLS=(net.ipv4.ip_forward net.ipv6.conf.all.forwarding)

# firewall_rules iptables|ip6tables: the rules and chains, without comments and counters; a table with only its
# built-in chains, ACCEPT and empty, is left out (it filters nothing: the same as no table)
firewall_rules() {
  command -v "$1-save" >/dev/null || return 0
  "$1-save" 2>/dev/null | awk '
    /^#/ { next }
    /^\*/ { table = $0; body = ""; content = 0; next }
    /^COMMIT/ { if (content) printf "%s\n%sCOMMIT\n", table, body; next }
    { sub(/ \[[0-9]+:[0-9]+\]$/, ""); body = body $0 "\n"; if ($0 ~ /^-/ || ($0 ~ /^:/ && $2 != "ACCEPT")) content = 1 }'
}

# host_sysctls: the forwarding switches as NAME=VALUE lines (what `sysctl -w` takes back)
host_sysctls() {
  local name
  for name in "${HOST_SYSCTLS[@]}"; do echo "$name=$(sysctl -n "$name" 2>/dev/null)"; done
}

# host_state: one line per thing host_restore gives back, to compare before and after
host_state() {
  local name
  host_sysctls
  if [ -e /dev/kvm ]; then echo "/dev/kvm $(stat -c '%a %U:%G' /dev/kvm)"; fi
  for name in iptables ip6tables; do firewall_rules "$name" | sed "s/^/$name: /"; done
}

# host_save DIR: what host_restore DIR puts back
host_save() {
  local dir=$1 name
  mkdir -p "$dir" && chmod 700 "$dir"
  host_sysctls >"$dir/sysctl"
  if [ -e /dev/kvm ]; then stat -c '%a %u %g' /dev/kvm >"$dir/kvm"; fi
  for name in iptables ip6tables; do
    if command -v "$name-save" >/dev/null; then "$name-save" 2>/dev/null | sed '/^#/d' >"$dir/$name"; fi
  done
  host_state >"$dir/state"
}

# host_restore DIR: the forwarding switches, the firewall and /dev/kvm's mode as host_save DIR found them
host_restore() {
  local dir=$1 name line mode uid gid
  while IFS= read -r line; do sysctl -qw "$line" >/dev/null 2>&1 || true; done <"$dir/sysctl"
  if [ -f "$dir/kvm" ] && [ -e /dev/kvm ]; then
    read -r mode uid gid <"$dir/kvm"
    chown "$uid:$gid" /dev/kvm && chmod "$mode" /dev/kvm
  fi
  for name in iptables ip6tables; do
    [ -f "$dir/$name" ] || continue
    # iptables-restore replaces each table it is given: the saved ones, and each table made since, empty
    { cat "$dir/$name"
      "$name-save" 2>/dev/null | awk -v saved="$(sed -n '/^\*/p' "$dir/$name" | tr '\n' ' ')" '
        /^\*/ { table = $0; keep = index(saved, table " ") == 0; if (keep) print; next }
        keep && /^:/ && $2 != "-" { print $1, "ACCEPT" }
        keep && /^COMMIT/ { print }'
    } | "$name-restore"
  done
}

# host_left_as_found DIR: compare with what host_save DIR saw; say what was compared, or what differs (status 1)
host_left_as_found() {
  local dir=$1 now
  now="$(host_state)"
  if [ "$now" = "$(cat "$dir/state")" ]; then
    info "host left as found: $(grep -v 'tables: ' <<<"$now" | tr '\n' ' ')firewall $(grep -c 'tables: -' <<<"$now") rules"
    return 0
  fi
  diff <(cat "$dir/state") <(echo "$now") | sed 's/^/    /' >&2
  printf '    the host is not as this run found it (above: < before, > after)\n' >&2
  return 1
}
