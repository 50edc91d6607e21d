#!/usr/bin/env bash
# make test-arm64: the Containerfile for an Apple Silicon Mac (linux/arm64), built and smoke-tested here on
# x86-64 under qemu-user emulation: a Debian 12 arm64 base (debootstrap, its packages' scripts emulated), the
# course image built for linux/arm64 with podman (apt, the venv from the lock's aarch64 wheels), and inside,
# with no network: the venv imports Celery on aarch64, Redis is built from its verified source with three
# units of its own tests, and answers PING. Not in CI: emulated, it takes far longer than CI's hour has
# room for (docs/maintaining.md, "arm64"). Needs root.
# The emulator is registered with the kernel (binfmt_misc) for the run only and removed again, with
# every container and image of the run, also on failure or Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
# shellcheck source=scripts/vm/lib.sh
source "$here/vm/lib.sh"
# shellcheck source=scripts/container/lib.sh
source "$here/container/lib.sh"
cd "$repo"
[ "$(id -u)" = 0 ] || die "make test-arm64 needs root (podman's storage, debootstrap, binfmt_misc)"

run="celery-lab-arm64-$$"
tag="localhost/$run"
binfmt=/proc/sys/fs/binfmt_misc
mounted=0 registered=0 work=""
t0=$SECONDS

finish() {
  local rc=$?
  set +e
  step "Clean-up"
  pod rm -f -t 0 "$run" >/dev/null 2>&1 && info "removed the container $run"
  for image in "$tag:12" "$tag-base:12"; do pod rmi -f "$image" >/dev/null 2>&1 && info "removed the image $image"; done
  if [ "$registered" = 1 ]; then echo -1 >"$binfmt/qemu-aarch64" && info "unregistered qemu-aarch64 from binfmt_misc"; fi
  if [ "$mounted" = 1 ]; then umount "$binfmt" && info "unmounted binfmt_misc"; fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
  printf '\n    total %d s\n' $((SECONDS - t0))
  if [ "$rc" = 0 ]; then printf '\ntest-arm64: passed\n'; else printf '\ntest-arm64: FAILED (exit %d)\n' "$rc" >&2; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

step "Host tools (apt): podman, runc, debootstrap, qemu-user-static"
host_tools podman runc debootstrap debian-archive-keyring qemu-user-static

step "qemu-aarch64 in binfmt_misc, for this run"
if [ ! -e "$binfmt/register" ]; then mount -t binfmt_misc binfmt_misc "$binfmt"; mounted=1; fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
  # Debian's entry (flag F: the emulator is opened now, so it works inside chroots and containers too)
  cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register"; registered=1
fi
info "$(head -n 2 "$binfmt/qemu-aarch64" | tr '\n' ' ')"

step "Debian 12 arm64 base (debootstrap, emulated)"
bash "$here/container/base-image.sh" bookworm "${CELERY_LAB_IMAGE_CACHE:-/var/cache/celery-lab/images}" "$tag-base:12" arm64

step "The course image for linux/arm64 (Containerfile, HEAD $(git rev-parse --short HEAD)), emulated"
work="$(mktemp -d /var/tmp/celery-lab-arm64.XXXXXX)"
mkdir "$work/context"
git archive HEAD | tar -x -C "$work/context"
mapfile -t secret < <(pip_cert_secret)
start=$SECONDS
pod build -q --layers=false --force-rm --platform linux/arm64 --network host "${limits[@]}" "${secret[@]}" --build-arg "BASE=$tag-base:12" \
  -t "$tag:12" -f Containerfile "$work/context" >/dev/null
info "built in $((SECONDS - start)) s: $(pod image inspect -f '{{.Architecture}}, {{.Size}} bytes' "$tag:12")"

step "Inside, as learner, no network: the venv, Redis from source, PING"
bash scripts/build-redis.sh --fetch-only --downloads "$work/redis" >"$work/fetch.log" 2>&1 \
  || { cat "$work/fetch.log"; die "could not fetch Redis's source"; }
tarball="$(find "$work/redis" -name 'redis-*.tar.gz' | head -n1)"
pod run -d --name "$run" --platform linux/arm64 --network none --hostname celery-lab "${limits[@]}" \
  -v "$tarball:/run/celery-lab/$(basename "$tarball"):ro" "$tag:12" sleep infinity >/dev/null
inside() { pod exec -u learner -w /home/learner/celery-lab "$run" bash -lc "$1"; }
inside '.venv/bin/python -c "import platform, celery, redis; print(\"    \", platform.machine(), \"Python\", platform.python_version(), \"celery\", celery.__version__, \"redis-py\", redis.__version__)"'
[ "$(inside 'uname -m')" = aarch64 ] || die "the container does not run aarch64"
start=$SECONDS
inside "mkdir -p .redis/downloads && cp /run/celery-lab/*.tar.gz .redis/downloads/ && REDIS_TEST=smoke make redis" \
  | grep -E '^==>|built in|passed|already' || true
info "make redis: $((SECONDS - start)) s"
pong="$(inside '.redis/redis-*/bin/redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save "" >/dev/null \
  && sleep 1 && .redis/redis-*/bin/redis-cli -p 6379 ping && .redis/redis-*/bin/redis-cli -p 6379 shutdown nosave >/dev/null; true')"
[ "$pong" = PONG ] || die "Redis built for arm64 did not answer PING (got: $pong)"
info "PING: $pong, from $(inside '.redis/redis-*/bin/redis-server --version' | cut -d' ' -f3,6,7)"
