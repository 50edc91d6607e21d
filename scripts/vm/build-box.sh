#!/usr/bin/env bash
# Build a Debian 12 Vagrant box for libvirt from Debian's mirror, offline from any box catalogue:
# debootstrap into a disk image, a `vagrant` user with Vagrant's insecure key, GRUB, qcow2, .box.
# Used by `make test-vm` (no box can be downloaded here); learners normally use debian/bookworm64.
#
# Usage: scripts/vm/build-box.sh [BOX_NAME]      (default: celery-lab/bookworm64-local)
# The .box is cached in /var/cache/celery-lab/boxes/, keyed by this script's own content: an
# unchanged recipe reuses it, a changed one builds anew. Needs root (loop devices, chroot).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/vm/lib.sh
source "$here/lib.sh"

name="${1:-celery-lab/bookworm64-local}"
cache="${CELERY_LAB_BOX_CACHE:-/var/cache/celery-lab/boxes}"
recipe="$(sha256sum "$0" | cut -c1-16)"
box="$cache/bookworm64-$recipe.box"
[ "$(id -u)" = 0 ] || die "needs root (loop devices, mount, chroot)"
# Mount in a mount namespace of our own: a namespace another program creates meanwhile (unshare,
# a container, a test) copies the mounts it sees, and a copy of ours would keep the box's file system
# in use after our umount — unflushed, as a box that does not boot once proved.
if [ -z "${CELERY_LAB_BOX_NS:-}" ]; then
  exec env CELERY_LAB_BOX_NS=1 unshare --mount --propagation private -- bash "$0" "$@"
fi

mirror() { # the system's own Debian mirror, as apt is configured
  local uri
  uri="$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -v security | head -n1 \
    | awk '$1 == "deb" && $2 ~ /^\[/ { i = 2; while ($i !~ /\]$/) i++; print $(i + 1); next } { print $2 }')"
  [ -n "$uri" ] || die "no Debian mirror in the apt configuration"
  echo "$uri"
}

if [ ! -f "$box" ]; then
  step "Build the box (recipe $recipe) into $box"
  work="$(mktemp -d /var/tmp/celery-lab-box.XXXXXX)"
  mnt="$work/root"; loop=""
  cleanup() {
    set +e
    # every mount below $work first (the chroot's binds of the host's /dev, /proc, /sys included);
    # if one stays, remove_tree deletes nothing and says what is still mounted
    remove_tree "$work" || info "left $work in place: unmount what is listed above, then remove it"
    [ -n "$loop" ] && losetup -d "$loop"
  }
  trap cleanup EXIT
  mkdir -p "$mnt" "$cache"
  MIRROR="$(mirror)"
  info "mirror: $MIRROR"

  step "Disk: 8 GiB raw, one bootable partition"
  truncate -s 8G "$work/disk.raw"
  echo 'start=2048, type=83, bootable' | sfdisk -q "$work/disk.raw"
  loop="$(losetup -f --show -P "$work/disk.raw")"
  part="${loop}p1"
  if [ ! -b "$part" ]; then  # no udev here: make the partition's node ourselves
    partx -a "$loop" 2>/dev/null || true
    [ -b "$part" ] || mknod "$part" b "$(cut -d: -f1 "/sys/class/block/$(basename "$part")/dev")" \
      "$(cut -d: -f2 "/sys/class/block/$(basename "$part")/dev")"
  fi
  mkfs.ext4 -q -L root "$part"
  mount "$part" "$mnt"
  uuid="$(blkid -s UUID -o value "$part")"

  step "debootstrap bookworm (minbase + what a Vagrant box needs)"
  # dbus + libpam-systemd as in Debian's own boxes: without a system bus, only root can ask systemd
  # (`systemctl is-active redis` as the vagrant user would fail with "Failed to connect to bus").
  # Verified against Debian's archive keyring (Release signature -> Packages -> each .deb's hash).
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -s "$keyring" ] || die "Debian's archive keyring is missing ($keyring): apt-get install debian-archive-keyring"
  debootstrap --variant=minbase --keyring="$keyring" \
    --include=systemd-sysv,dbus,libpam-systemd,linux-image-amd64,grub-pc,openssh-server,sudo,ifupdown,isc-dhcp-client,iproute2,ca-certificates,netbase,rsync,locales \
    bookworm "$mnt" "$MIRROR" >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log"; die "debootstrap failed"; }

  step "Configure: network, fstab, vagrant user, ssh, apt sources"
  echo "celery-lab" >"$mnt/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 celery-lab\n::1 localhost ip6-localhost ip6-loopback\n' >"$mnt/etc/hosts"
  echo "UUID=$uuid / ext4 errors=remount-ro 0 1" >"$mnt/etc/fstab"
  printf 'auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n' >"$mnt/etc/network/interfaces"
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
    "$MIRROR" "$MIRROR" "$MIRROR" >"$mnt/etc/apt/sources.list"
  echo 'en_US.UTF-8 UTF-8' >"$mnt/etc/locale.gen"
  chroot "$mnt" locale-gen >/dev/null
  chroot "$mnt" useradd -m -s /bin/bash vagrant
  chroot "$mnt" passwd -q -l vagrant  # no password: Vagrant's key logs in, and `vagrant up` replaces that key
  echo 'vagrant ALL=(ALL) NOPASSWD:ALL' >"$mnt/etc/sudoers.d/vagrant"; chmod 0440 "$mnt/etc/sudoers.d/vagrant"
  install -d -m 0700 -o 1000 -g 1000 "$mnt/home/vagrant/.ssh"
  key="$(dpkg -L vagrant | grep -E '/keys/vagrant(\.pub)?$' | grep -E '\.pub$' | head -n1)"
  [ -n "$key" ] || die "Vagrant's insecure public key not found in the vagrant package"
  install -m 0600 -o 1000 -g 1000 "$key" "$mnt/home/vagrant/.ssh/authorized_keys"
  echo 'UseDNS no' >"$mnt/etc/ssh/sshd_config.d/vagrant.conf"
  rm -f "$mnt"/etc/ssh/ssh_host_*  # each VM makes its own host keys at first boot
  mkdir -p "$mnt/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$mnt/etc/systemd/system/ssh.service.d/host-keys.conf"
  chroot "$mnt" apt-get clean

  step "GRUB on the disk (serial console, eth0 naming)"
  for m in dev dev/pts proc sys; do mount --bind "/$m" "$mnt/$m"; done
  sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=ttyS0 net.ifnames=0 biosdevname=0"/; s/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=1/' \
    "$mnt/etc/default/grub"
  chroot "$mnt" grub-install --target=i386-pc --modules="part_msdos ext2" "$loop" >"$work/grub.log" 2>&1 \
    || { cat "$work/grub.log"; die "grub-install failed"; }
  kernel="$(find "$mnt/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n1)"
  initrd="initrd.img-${kernel#vmlinuz-}"
  cat >"$mnt/boot/grub/grub.cfg" <<CFG
set timeout=1
insmod part_msdos
insmod ext2
search --no-floppy --fs-uuid --set=root $uuid
menuentry 'Debian GNU/Linux 12 (celery-lab box)' {
  linux /boot/$kernel root=UUID=$uuid ro console=ttyS0 net.ifnames=0 biosdevname=0
  initrd /boot/$initrd
}
CFG
  umount -R "$mnt"  # the binds and the disk itself
  ! findmnt -rn -o TARGET | grep -q "^$mnt" || die "still mounted under $mnt"
  # unmounted for good: ext4 drops its needs_recovery flag only when its last mount anywhere is gone
  features="$(dumpe2fs -h "$part" 2>/dev/null | grep '^Filesystem features:')"
  if [ -z "$features" ] || [[ "$features" == *needs_recovery* ]]; then
    die "the box's file system is still in use after umount (mounted in another mount namespace?)"
  fi
  losetup -d "$loop"; loop=""

  step "qcow2 and .box"
  qemu-img convert -O qcow2 "$work/disk.raw" "$work/box.img"
  echo '{"provider":"libvirt","format":"qcow2","virtual_size":8}' >"$work/metadata.json"
  printf 'Vagrant.configure("2") do |config|\n  config.vm.provider :libvirt do |lv|\n    lv.driver = "kvm"\n  end\nend\n' \
    >"$work/Vagrantfile"
  tar -C "$work" -cf "$box.part" metadata.json Vagrantfile box.img
  mv "$box.part" "$box"
  info "$(du -h "$box" | cut -f1) $box"
  for old in "$cache"/bookworm64-*.box; do  # boxes of earlier recipes are never used again
    [ "$old" = "$box" ] || { rm -f "$old" "$cache/.added-$(basename "$old" .box | cut -d- -f2)"; info "removed the older $old"; }
  done
else
  step "Box cached: $box (recipe $recipe)"
fi

step "vagrant box add $name"
if vagrant box list 2>/dev/null | grep -q "^$name .*libvirt" && [ "$(cat "$cache/.added-$recipe" 2>/dev/null)" = "$name" ]; then
  info "already added"
else
  vagrant box add --force --name "$name" "$box"
  echo "$name" >"$cache/.added-$recipe"
fi
