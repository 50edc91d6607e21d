#!/usr/bin/env bash
# Build Redis from source, the way lesson 02 teaches it:
#   fetch the release tarball -> verify its official sha256 -> extract -> make -> test -> make install.
#
# One script for every place the course builds Redis: `make tour` and `make test` (into an ignored
# folder of the repo), the Vagrant VM (into /usr/local, as the article does) and CI.
#
# Usage: scripts/build-redis.sh [--version V] [--prefix DIR] [--workdir DIR] [--downloads DIR]
#                               [--tarball FILE] [--test none|smoke|fast|full] [--make-args "ARGS"]
#                               [--test-user USER] [--offline] [--force] [--fetch-only]
# Every option also has an environment variable: REDIS_VERSION, REDIS_PREFIX, REDIS_WORKDIR,
# REDIS_DOWNLOADS, REDIS_TARBALL, REDIS_TEST, REDIS_MAKE_ARGS, REDIS_TEST_USER, REDIS_OFFLINE=1,
# REDIS_FORCE=1. --make-args takes VAR=value words only; by default BUILD_TLS=yes (TLS, for Redis across
# several hosts; OpenSSL's headers from libssl-dev), the VM adds USE_SYSTEMD=yes. --test-user (as
# root) runs Redis's test suite as that unprivileged user: the VM's provisioning does. --test smoke
# runs three units only (counters, INFO, the protocol): that the build answers, where the fast
# subset would take minutes (make test-vm, under emulation).
# --fetch-only stops after the tarball is fetched and verified (into --downloads, by default
# WORKDIR/downloads: `--fetch-only --downloads ~/redis-src` is lesson 02's by-hand download).
#
# Idempotent: when PREFIX already holds redis-server of the wanted version (with TLS, when BUILD_TLS=yes
# is asked for) it says so and stops.
# Safe: nothing is extracted, built or installed before the tarball matched the official digest.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
releases="$here/redis-releases.txt"

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\nbuild-redis: error: %s\n' "$*" >&2; exit 1; }

default_version() { awk '!/^#/ && $5 == "default" { sub(/^redis-/, "", $1); sub(/\.tar\.gz$/, "", $1); print $1 }' "$releases"; }

version="${REDIS_VERSION:-$(default_version)}"
prefix="${REDIS_PREFIX:-}"
workdir="${REDIS_WORKDIR:-$repo/.redis}"
downloads="${REDIS_DOWNLOADS:-}"
tarball_in="${REDIS_TARBALL:-}"
tests="${REDIS_TEST:-fast}"
make_args="${REDIS_MAKE_ARGS-BUILD_TLS=yes}"
test_user="${REDIS_TEST_USER:-}"
offline="${REDIS_OFFLINE:-0}"
force="${REDIS_FORCE:-0}"
fetch_only=0

while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --workdir) workdir="$2"; shift 2 ;;
    --downloads) downloads="$2"; shift 2 ;;
    --tarball) tarball_in="$2"; shift 2 ;;
    --test) tests="$2"; shift 2 ;;
    --make-args) make_args="$2"; shift 2 ;;
    --test-user) test_user="$2"; shift 2 ;;
    --offline) offline=1; shift ;;
    --force) force=1; shift ;;
    --fetch-only) fetch_only=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
workdir="$(realpath -m "$workdir")"  # absolute: GIT_CEILING_DIRECTORIES (step 5) takes no relative path
prefix="${prefix:-$workdir/redis-$version}"
downloads="${downloads:-$workdir/downloads}"
case "$tests" in none|smoke|fast|full) ;; *) die "--test must be none, smoke, fast or full, not '$tests'" ;; esac
read -r -a make_words <<<"$make_args"
for word in "${make_words[@]}"; do
  [[ "$word" =~ ^[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_./:+,=-]*$ ]] \
    || die "--make-args takes VAR=value words only (USE_SYSTEMD=yes, say), not '$word'"
done
if [ -n "$test_user" ]; then
  [ "$(id -u)" = 0 ] || die "--test-user needs root (it runs the tests with runuser)"
  id -u "$test_user" >/dev/null 2>&1 || die "--test-user $test_user: no such user"
  [ "$(id -u "$test_user")" != 0 ] || die "--test-user $test_user is root; name an unprivileged user"
fi

# The fast, meaningful subset of Redis's own test suite (about 20 s instead of about 6 min on 2 cores):
# what Celery's Redis broker and backend use — strings and counters (results), lists (the queue),
# hashes and sorted sets (kombu's unacked and unacked_index), sets (the queue bindings), keyspace and
# expiry (result TTLs), the wire protocol, pub/sub (result.get()) — and RDB persistence.
# Lesson 02 shows the same list (tests/test_lessons.py keeps the two equal).
FAST_TESTS=(unit/type/string unit/type/incr unit/type/list unit/type/hash unit/type/set unit/type/zset
  unit/keyspace unit/expire unit/protocol unit/pubsub integration/rdb)
SMOKE_TESTS=(unit/type/incr unit/info-command unit/protocol)  # about 1 s on the host (with unit/type/hash: 6)
TEST_CLIENTS=8  # the units mostly wait (expiry, timeouts): 8 clients finish sooner than 2, even on 2 cores

file="redis-$version.tar.gz"
row="$(awk -v f="$file" '!/^#/ && $1 == f' "$releases")"
[ -n "$row" ] || die "no official digest for $file in scripts/redis-releases.txt; known: $(awk '!/^#/ && NF {printf "%s ", $1}' "$releases")"
read -r _ algo digest gzip_mtime _ <<<"$row"
[ "$algo" = sha256 ] || die "$file has only a $algo digest; the course builds only releases with an official sha256"

# --- 1. already there? ---------------------------------------------------------------------------
wants_tls=0
for word in "${make_words[@]}"; do [ "$word" != BUILD_TLS=yes ] || wants_tls=1; done
has_tls() { grep -qa SSL_CTX_new "$1"; }  # OpenSSL linked in: tls.c calls it only when built with BUILD_TLS=yes
installed() {
  local server="$prefix/bin/redis-server"
  if [ "$force" = 1 ] || [ "$fetch_only" = 1 ] || [ ! -x "$server" ] || ! "$server" --version | grep -q "v=$version "; then
    return 1
  fi
  if [ "$wants_tls" = 1 ] && ! has_tls "$server"; then
    [ "${1:-}" = quietly ] && return 1
    info "installed, but built without TLS: $("$server" --version)"
    info "BUILD_TLS=yes asks for TLS: building again (lesson 02, section 4)"
    return 1
  fi
  info "already installed: $("$server" --version)"
  info "nothing to do (use --force to build again)"
}
step "Redis $version into $prefix"
installed && exit 0
# One build at a time in a work folder (two tests may ask at once): a second caller waits here, then finds it
# installed. Taken only to build, which writes into the work folder anyway (the VM's is root's: its learner
# only ever finds Redis installed).
mkdir -p "$workdir"
exec 9>"$workdir/.build.lock"
flock 9
installed quietly && exit 0

tarball="$downloads/$file"
course_copy="$repo/.redis/downloads/$file"  # verified once already by an earlier run of this script
mkdir -p "$downloads"
part="$tarball.part"
rm -f "$part"
trap 'rm -f "$part"' EXIT

le32() { # print a number as 4 little-endian bytes
  local n=$1 i
  # shellcheck disable=SC2059  # the format is an octal escape we build: that is the point
  for i in 0 1 2 3; do printf "\\$(printf '%03o' $(( (n >> (8 * i)) & 255 )))"; done
}

fetch_from_debian() {
  # Debian's archive carries the same upstream source as redis_<version>.orig.tar.gz: the same tar
  # with another gzip wrapper. apt checks it against Debian's signed Release -> Sources -> .dsc
  # chain; we then rebuild upstream's exact gzip wrapper and check the official digest below.
  [ "$gzip_mtime" != "-" ] || die "download.redis.io is out of reach and $file cannot be rebuilt from Debian's source (no gzip time stamp in scripts/redis-releases.txt); download it yourself and pass --tarball"
  command -v apt-get >/dev/null || die "download.redis.io is out of reach and there is no apt-get for Debian's source archive; download $file yourself and pass --tarball"
  local aptdir="$workdir/apt" tmp
  mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/sources.list.d"
  # A private apt configuration: deb-src twins of the system's own mirrors, lists in our folder,
  # with any option that would turn off apt's signature checks dropped (scripts/apt-src-sources.sh).
  # The system's apt setup is read, never changed.
  bash "$here/apt-src-sources.sh" /etc/apt "$aptdir/sources.list.d"
  local opts=(-q -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
    -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
    -o "APT::Sandbox::User=$(id -un)" -o Acquire::AllowInsecureRepositories=false
    -o Acquire::AllowWeakRepositories=false -o Acquire::AllowDowngradeToInsecureRepositories=false
    -o APT::Get::AllowUnauthenticated=false)
  info "reading Debian's source index (private apt configuration in $aptdir)"
  apt-get "${opts[@]}" update >"$aptdir/update.log" 2>&1 || die "apt-get update failed; see $aptdir/update.log"
  tmp="$(mktemp -d "$workdir/debsrc.XXXXXX")"
  info "fetching Debian's source package of redis (apt verifies it against the signed archive)"
  if ! (cd "$tmp" && apt-get "${opts[@]}" source --download-only redis >"$aptdir/source.log" 2>&1); then
    rm -rf "$tmp"; die "apt-get source redis failed; see $aptdir/source.log"
  fi
  local orig="$tmp/redis_$version.orig.tar.gz"
  if [ ! -f "$orig" ]; then
    local got; got="$(find "$tmp" -maxdepth 1 -name 'redis_*.orig.tar.gz' -printf '%f ')"
    rm -rf "$tmp"; die "Debian's archive offers ${got:-no orig tarball}, not redis_$version.orig.tar.gz"
  fi
  info "got $(basename "$orig") ($(sha256sum "$orig" | cut -c1-16)…, verified by apt)"
  info "rebuilding upstream's $file from it (same tar, upstream's gzip header)"
  gzip -dc "$orig" >"$tmp/redis-$version.tar"
  { printf '\037\213\010\010'; le32 "$gzip_mtime"; printf '\002\003'; printf 'redis-%s.tar\0' "$version"
    gzip -9 -n -c "$tmp/redis-$version.tar" | tail -c +11; } >"$part"
  rm -rf "$tmp"
}

# --- 2. fetch ------------------------------------------------------------------------------------
step "Fetch $file"
if [ -n "$tarball_in" ]; then
  [ -f "$tarball_in" ] || die "--tarball $tarball_in: no such file"
  info "using the tarball you gave: $tarball_in"
  cp "$tarball_in" "$part"
elif [ -f "$tarball" ]; then
  info "using the copy fetched earlier: $tarball"
  mv "$tarball" "$part"
elif [ -f "$course_copy" ] && [ "$course_copy" != "$tarball" ]; then
  info "using the course's copy fetched earlier: $course_copy (verified again below)"
  cp "$course_copy" "$part"
elif [ "$offline" != 1 ] && command -v curl >/dev/null \
    && curl -fsSL --connect-timeout 5 --max-time 300 -o "$part" "https://download.redis.io/releases/$file" 2>/dev/null; then
  info "downloaded from download.redis.io"
else
  info "download.redis.io is out of reach (or --offline): falling back to Debian's source archive"
  fetch_from_debian
fi

# --- 3. verify -----------------------------------------------------------------------------------
step "Verify sha256 of $file against the official digest"
actual="$(sha256sum "$part" | cut -d' ' -f1)"
info "expected $digest"
info "actual   $actual"
if [ "$actual" != "$digest" ]; then
  rm -f "$part"
  die "checksum mismatch for $file: refusing to build. Nothing was extracted or installed, and the bad file was removed. See lessons/02-build-redis (Verify the download)."
fi
mv "$part" "$tarball"
info "OK"
if [ "$fetch_only" = 1 ]; then info "--fetch-only: verified tarball at $tarball"; exit 0; fi

# --- 4. extract ----------------------------------------------------------------------------------
src="$workdir/build/redis-$version"
step "Extract into $src"
rm -rf "$src"
mkdir -p "$workdir/build"
tar -xzf "$tarball" -C "$workdir/build"
[ -f "$src/Makefile" ] || die "$file did not unpack to redis-$version/"

# --- 5. make -------------------------------------------------------------------------------------
jobs="$(nproc 2>/dev/null || echo 2)"
# Redis stamps the git commit of its source folder into the binary (redis-server --version: sha=).
# Our build folder may sit inside another git checkout (this course's): keep git from finding it.
export GIT_CEILING_DIRECTORIES="$workdir/build"
step "make -j$jobs ${make_words[*]} (log: $src/build.log)"
start=$SECONDS
if ! make -C "$src" -j"$jobs" "${make_words[@]}" >"$src/build.log" 2>&1; then
  tail -n 30 "$src/build.log" >&2
  if grep -q "openssl/ssl.h: No such file" "$src/build.log"; then
    die "make failed: OpenSSL's headers are missing, which BUILD_TLS=yes needs. Run scripts/install-build-deps.sh (it installs libssl-dev; lesson 02, section 1)."
  fi
  die "make failed (full log: $src/build.log). Missing compiler? Run scripts/install-build-deps.sh (lesson 02, section 1)."
fi
info "built in $((SECONDS - start)) s"

# --- 6. test -------------------------------------------------------------------------------------
why_tests_failed() { # LOG: the likeliest cause, named
  if ! command -v tclsh >/dev/null; then echo "no tclsh: run scripts/install-build-deps.sh (lesson 02)"
  elif grep -qiE "address already in use|couldn't open socket" "$1"; then
    echo "the ports they listen on (from 21079) were taken: another Redis build or test runs on this machine; run again once it has ended"
  else echo "the [err] and [exception] lines of the log name the failing test"
  fi
}
as_tester=()
tested="$src"  # the tree the tests run in
if [ -n "$test_user" ] && [ "$tests" != none ]; then
  # The suite writes into its tree (tests/tmp): it runs as the test user in a copy of its own, so that
  # nothing it does can change the tree root installs from below.
  tested="$(mktemp -d "$workdir/build/tests-as-$test_user.XXXXXX")"
  trap 'rm -rf "$tested"' EXIT
  cp -a "$src/." "$tested/"
  chown -R "$test_user:" "$tested"
  as_tester=(runuser -u "$test_user" --)
  info "the tests run as $test_user, in a copy of the tree ($tested); root installs from its own"
fi
case "$tests" in
  none) step "Tests skipped (--test none)" ;;
  smoke|fast)
    if [ "$tests" = smoke ]; then units=("${SMOKE_TESTS[@]}"); what="three units"; else units=("${FAST_TESTS[@]}"); what="a fast subset"; fi
    step "Test: $what of Redis's own suite (${units[*]})"
    args=(); for t in "${units[@]}"; do args+=(--single "$t"); done
    start=$SECONDS
    (cd "$tested" && "${as_tester[@]}" ./runtest --clients "$TEST_CLIENTS" "${args[@]}") >"$src/test.log" 2>&1 \
      || { tail -n 30 "$src/test.log" >&2; die "Redis's tests failed (log: $src/test.log): $(why_tests_failed "$src/test.log")"; }
    plain="$(sed 's/\x1b\[[0-9;]*m//g' "$src/test.log")"
    grep -q 'All tests passed' <<<"$plain" || { tail -n 30 "$src/test.log" >&2; die "Redis's tests did not all pass (log: $src/test.log)"; }
    info "$(grep -c '^\[ok\]' <<<"$plain") tests passed in $((SECONDS - start)) s (log: $src/test.log)"
    ;;
  full)
    step "Test: make test (the whole suite, about 6 minutes on 2 cores)"
    "${as_tester[@]}" make -C "$tested" test 2>&1 | tee "$src/test.log" | grep -E '^\[(ok|err|exception)\]|All tests passed' \
      || true
    grep -q 'All tests passed' "$src/test.log" || die "make test failed (log: $src/test.log)"
    ;;
esac

# --- 7. install ----------------------------------------------------------------------------------
if [ "$tested" != "$src" ]; then rm -rf "$tested"; fi
step "make install PREFIX=$prefix"
mkdir -p "$prefix"
make -C "$src" install PREFIX="$prefix" >"$src/install.log" 2>&1 || { cat "$src/install.log" >&2; die "make install failed"; }
info "$("$prefix/bin/redis-server" --version)"
info "installed: $(cd "$prefix/bin" && echo redis-*)"
