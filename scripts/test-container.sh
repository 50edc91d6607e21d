#!/usr/bin/env bash
# make test-container: the third way in (Containerfile, .devcontainer/), proven with Podman on this machine.
#
#  1. Debian 12 and 13 base images made here — debootstrap from Debian's mirror, checked against Debian's keyring,
#     then `podman import` (no registry is reachable here; learners start from debian:12) — cached in
#     /var/cache/celery-lab/images/, keyed by this recipe;
#  2. the course image, built from this checkout's HEAD (what a fresh clone holds) with the Containerfile;
#  3. inside it, as its normal user `learner`, with no network at all (--network none: loopback only):
#     `make tour` — the set-up (Redis from a verified tarball, built from source) and every lesson of the
#     no-VM path played as written; lesson 16 left out with its reason (its namespaces take root: no sudo
#     in the container); then nothing of the tour may still run in the container;
#  4. the dev container's first step (.devcontainer/post-create.sh) on a clone mounted as the workspace:
#     ~/celery-lab links to it, and its venv imports Celery;
#  5. Debian 13's Python 3.13: the same Containerfile on a Debian 13 base, its venv made from the lock
#     (make venv, real wheels for 3.13, hashes checked) and lesson 05 played as written (with the Redis that
#     step 3 built, which runs there too);
#  6. the machine as it was found: containers and images of this run removed (also on failure or Ctrl-C),
#     no firewall rule and no IP forwarding setting changed (podman's default network would add
#     NETAVARK_* chains: the builds use the host's network, the runs none).
# Needs root (podman's rootful storage, debootstrap).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
# shellcheck source=scripts/vm/lib.sh
source "$here/vm/lib.sh"
# shellcheck source=scripts/container/lib.sh
source "$here/container/lib.sh"
cd "$repo"
[ "$(id -u)" = 0 ] || die "make test-container needs root (podman's storage, debootstrap)"

cache="${CELERY_LAB_IMAGE_CACHE:-/var/cache/celery-lab/images}"
run="celery-lab-test-$$"
tag="localhost/$run"
work=""
phases=()
t0=$SECONDS
phase_at=$SECONDS
current=""
end_phase() { if [ -n "$current" ]; then phases+=("$(printf '%-60s %5d s' "$current" $((SECONDS - phase_at)))"); fi; current=""; }
phase() { end_phase; current="$1"; phase_at=$SECONDS; step "$1"; }

# What this run may change on the machine, before and after: the firewall's rules (counters left out), the
# kernel's forwarding switches, /run/netns, and podman's images and containers.
machine_state() {
  host_state
  { find /run/netns -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null || true; } | sort
  { pod images -a --format 'image {{.ID}}'; pod ps -a --format 'container {{.ID}}'; } | sort
}
ours() { pod ps -a --format '{{.Names}}' | grep -E "^$run(-|$)" || true; }

finish() {
  local rc=$?
  set +e
  phase "Clean-up: this run's containers and images"
  for name in $(ours); do pod rm -f -t 0 "$name" >/dev/null && info "removed the container $name"; done
  for image in $(pod images --format '{{.Repository}}:{{.Tag}}' | grep -E "^$tag(-|:)" ); do
    pod rmi -f "$image" >/dev/null && info "removed the image $image"
  done
  if [ -n "$work" ]; then rm -rf "$work"; fi
  if [ -n "${before:-}" ]; then
    if [ "$(machine_state)" = "$before" ]; then info "firewall, forwarding, /run/netns, podman's images: as they were"
    else
      diff <(echo "$before") <(machine_state) | sed 's/^/    /'
      printf 'test-container: the machine changed (above): firewall rules, forwarding, /run/netns or images\n' >&2
      rc=1
    fi
  fi
  end_phase
  printf '\n==> Phases\n'
  printf '    %s\n' "${phases[@]}" "$(printf '%-60s %5d s' total $((SECONDS - t0)))"
  if [ "$rc" = 0 ]; then printf '\ntest-container: passed\n'; else printf '\ntest-container: FAILED (exit %d)\n' "$rc" >&2; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

phase "Host tools (apt)"
host_tools podman runc debootstrap debian-archive-keyring
# Containers and images of a run that ended without its clean-up (SIGKILL, a restart): named after a PID that
# is no running test-container.sh. Those of a run still going are left alone.
gone() { owner="${1#*celery-lab-test-}"; owner="${owner%%[!0-9]*}"
  ! tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | grep -q 'test-container\.sh'; }
for name in $(pod ps -a --format '{{.Names}}' | grep -E '^celery-lab-test-[0-9]+' || true); do
  if gone "$name"; then pod rm -f -t 0 "$name" >/dev/null && info "removed the container $name, left by an earlier run"; fi
done
for image in $(pod images --format '{{.Repository}}:{{.Tag}}' | grep -E '^localhost/celery-lab-test-[0-9]+' || true); do
  if gone "$image"; then pod rmi -f "$image" >/dev/null && info "removed the image $image, left by an earlier run"; fi
done
before="$(machine_state)"
work="$(mktemp -d /var/tmp/celery-lab-container.XXXXXX)"

phase "Base images: Debian 12 and 13 from the mirror (debootstrap)"
bash "$here/container/base-image.sh" bookworm "$cache" "$tag-base:12"
bash "$here/container/base-image.sh" trixie "$cache" "$tag-base:13"

phase "The course image (Containerfile, HEAD $(git rev-parse --short HEAD))"
mkdir "$work/context"
git archive HEAD | tar -x -C "$work/context"
# A TLS-inspecting proxy's CA that this machine trusts (as the VM gets it: scripts/vm/host-cas.py): handed
# to the build as the Containerfile's pip-cert secret, never into the image.
mapfile -t secret < <(pip_cert_secret)
if [ ${#secret[@]} -gt 0 ]; then info "this machine trusts an extra CA: handed to pip in the build as the secret pip-cert"; fi
# (--layers=false: no intermediate image is kept, so removing the run's images removes all it made)
build() { # BASE TAG: the Containerfile on BASE, with the host's network (no podman network, no firewall rule)
  pod build -q --layers=false --force-rm --network host "${limits[@]}" "${secret[@]}" --build-arg "BASE=$1" -t "$2" -f Containerfile "$work/context"
}
build "$tag-base:12" "$tag:12" >/dev/null
info "built $tag:12 ($(pod image inspect -f '{{.Size}}' "$tag:12" | awk '{printf "%.0f MB", $1 / 1e6}'))"

# Redis's source, verified against its official sha256 (the course's copy, or Debian's source archive):
# handed in read-only; inside, the set-up verifies it again before it builds.
bash scripts/build-redis.sh --fetch-only --downloads "$work/redis" >"$work/fetch.log" 2>&1 \
  || { cat "$work/fetch.log"; die "could not fetch Redis's source"; }
tarball="$(find "$work/redis" -name 'redis-*.tar.gz' | head -n1)"
start() { # NAME IMAGE: a container of the course with no network, its hostname the lessons', idle
  pod run -d --name "$1" --network none --hostname celery-lab "${limits[@]}" \
    -v "$tarball:/run/celery-lab/$(basename "$tarball"):ro" "$2" sleep infinity >/dev/null
}
as_learner() { # NAME COMMAND: a login shell of learner in ~/celery-lab, the Redis tarball where the set-up finds it
  pod exec -u learner -w /home/learner/celery-lab "$1" bash -lc \
    "mkdir -p .redis/downloads && cp /run/celery-lab/*.tar.gz .redis/downloads/ && $2"
}
left_running() { # NAME: every live process but the container's first (sleep) and this ps. A zombie has ended:
  # its parent is the first process, which does not collect children (no init in the container).
  pod exec "$1" ps -eo pid=,stat=,user=,args= | awk '$1 != 1 && $2 !~ /^Z/ && $4 != "ps"'
}

phase "Inside, as learner, no network: make tour"
start "$run-tour" "$tag:12"
as_learner "$run-tour" 'make tour' 2>&1 | tee "$work/tour.log" || true
grep -q "Every other lesson played as written." "$work/tour.log" || die "the tour did not play as written in the container"
played="$(grep -cE '^│ [0-9]{2}-' "$work/tour.log" || true)"
expected=$(( $(find lessons -maxdepth 1 -name '[0-9][0-9]-*' | wc -l) - 5 ))  # from 02, but 16-18
[ "$played" = "$expected" ] || die "the tour's table lists $played lessons played, not $expected (02 to 15, 19 to 21)"
for lesson in 16-several-hosts 17-routing 18-failover; do
  grep -q "$lesson makes network namespaces, which take root" "$work/tour.log" \
    || die "lesson $lesson was not left out with its reason"
done
info "lessons 02-15 and 19-21 played as written; lessons 16-18 left out, saying why"
left="$(left_running "$run-tour")"
[ -z "$left" ] || die "the tour left processes running in the container: $left"
info "nothing of the tour runs any more"
# the Redis the tour's set-up built, for Debian 13 below (its binaries run there as well)
pod cp "$run-tour:/home/learner/celery-lab/.redis/$(basename "$tarball" .tar.gz)" "$work/redis-build"
pod rm -f -t 0 "$run-tour" >/dev/null

phase "The dev container's post-create.sh, on a mounted clone"
cp -a "$work/context" "$work/workspace"
chown -R 1000:1000 "$work/workspace"
cert=()
if [ ${#secret[@]} -gt 0 ]; then cert=(-v /etc/ssl/certs/ca-certificates.crt:/run/celery-lab/ca.crt:ro -e PIP_CERT=/run/celery-lab/ca.crt); fi
# the host's network, as in the build: pip asks the index (its cache in the image holds the wheels)
# shellcheck disable=SC2016  # $(readlink …) is the container's
pod run --rm --name "$run-devcontainer" --network host "${limits[@]}" "${cert[@]}" -u learner \
  -v "$work/workspace:/workspaces/celery-lab" -w /workspaces/celery-lab "$tag:12" \
  bash -c 'bash .devcontainer/post-create.sh && [ "$(readlink ~/celery-lab)" = /workspaces/celery-lab ] \
    && ~/celery-lab/.venv/bin/python -c "import celery; print(\"    the workspace venv imports celery\", celery.__version__)"' \
  || die "the dev container's post-create.sh did not give ~/celery-lab and its venv"

phase "Debian 13 (Python 3.13): make venv and lesson 05"
build "$tag-base:13" "$tag:13" >/dev/null
start "$run-13" "$tag:13"
info "$(pod exec "$run-13" python3 --version): the venv from the lock, made in the build"
# Redis as the Debian 12 container's learner built it above (built and tested there; the set-up finds it
# installed): this phase is about Python 3.13
pod exec -u learner "$run-13" mkdir -p /home/learner/celery-lab/.redis
pod cp "$work/redis-build" "$run-13:/home/learner/celery-lab/.redis/$(basename "$tarball" .tar.gz)"
pod exec "$run-13" chown -R learner: /home/learner/celery-lab/.redis
as_learner "$run-13" 'make play LESSON=05' 2>&1 | tee "$work/play13.log" | tail -n 3 || true
grep -q "05-single-module-app: played as written" "$work/play13.log" || die "lesson 05 did not play as written on Python 3.13"
left="$(left_running "$run-13")"
[ -z "$left" ] || die "lesson 05 left processes running in the container: $left"
