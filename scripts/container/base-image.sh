#!/usr/bin/env bash
# A Debian base image without a registry (make test-container): debootstrap SUITE (minbase) from this
# machine's Debian mirror, checked against Debian's archive keyring, with apt's sources as in Debian's own
# images (deb.debian.org), then `podman import` as TAG. The root file system is cached as a tarball in
# CACHE, keyed by SUITE, ARCH and this recipe; older recipes' tarballs are removed. ARCH (default: this
# machine's) other than this machine's runs its packages' scripts under qemu-user (make test-arm64).
# Needs root.
#   bash scripts/container/base-image.sh bookworm /var/cache/celery-lab/images localhost/NAME:12 [arm64]
set -euo pipefail
# shellcheck source=scripts/vm/lib.sh
source "$(dirname "$0")/../vm/lib.sh"
suite=$1 cache=$2 tag=$3 arch=${4:-$(dpkg --print-architecture)}
recipe="$(sha256sum "$0" | cut -c1-16)"
tarball="$cache/$suite-$arch-$recipe.tar"
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
  work="$(mktemp -d /var/tmp/celery-lab-rootfs.XXXXXX)"
  trap 'rm -rf --one-file-system "$work"' EXIT
  mirror="$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')"
  mirror="${mirror:-http://deb.debian.org/debian}"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -s "$keyring" ] || die "Debian's archive keyring is missing ($keyring): apt-get install debian-archive-keyring"
  start=$SECONDS
  debootstrap --arch="$arch" --variant=minbase --keyring="$keyring" "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log"; die "debootstrap $suite failed"; }
  rm -f "$work/root/etc/apt/sources.list"
  security=""
  if [ "$suite" = bookworm ] || [ "$suite" = trixie ]; then
    security=$'\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: '"$suite"$'-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg'
  fi
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s%s\n' \
    "$suite" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg "$security" >"$work/root/etc/apt/sources.list.d/debian.sources"
  chroot "$work/root" apt-get clean
  rm -rf "$work/root/var/lib/apt/lists/"*
  tar --numeric-owner -C "$work/root" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  for old in "$cache/$suite-$arch"-*.tar; do [ "$old" = "$tarball" ] || rm -f "$old"; done
  info "debootstrap $suite ($arch): $((SECONDS - start)) s, $(du -h "$tarball" | cut -f1) (cached: $tarball)"
else
  info "cached: $tarball"
fi
podman import -q --arch "$arch" "$tarball" "$tag" >/dev/null
info "imported as $tag"
