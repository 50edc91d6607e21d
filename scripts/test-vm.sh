#!/usr/bin/env bash
# make test-vm: prove the Vagrant VM for real. Builds (or reuses) a Debian 12 box from the mirror,
# boots it with vagrant-libvirt (QEMU), provisions it from scratch, plays inside, on the VM path and as
# written, the lessons whose blocks differ there (path=vm: make play, as the vagrant user, against the redis
# service) and their notebooks, checks the forwarded ports (JupyterLab, Flower) from the host, provisions
# again to show nothing changes, and destroys the VM — also on failure or Ctrl-C. Then gives the host back
# as it found it (IP forwarding, firewall rules, /dev/kvm's mode), says so with the values compared, and
# prints the time of each phase. Needs root (libvirt, loop devices for the box).
# The other lessons type the same commands on both paths: make test plays them on the host (as root) and
# make test-container as a normal user (docs/maintaining.md, "What each suite proves").
#
# BLESS=1 make test-vm: the lessons are first played with --bless inside the VM, the outputs of their
# VM blocks (path=vm) taken into this checkout (review them with git diff), and then played as usual.
# VM_LESSONS=all make test-vm: every lesson from 01 inside, not only those with VM blocks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
# shellcheck source=scripts/vm/lib.sh
source "$here/vm/lib.sh"
cd "$repo"

[ "$(id -u)" = 0 ] || die "make test-vm needs root (libvirt daemons, loop devices for the box build)"

state="$repo/.run/vm"
mkdir -p "$state"
export VAGRANT_DOTFILE_PATH="$state/dot"      # not the learner's .vagrant/
export CELERY_LAB_BOX="celery-lab/bookworm64-local"
export CELERY_LAB_LIBVIRT_DRIVER="${CELERY_LAB_LIBVIRT_DRIVER:-qemu}"  # this KVM cannot boot Debian's kernel
export VAGRANT_DEFAULT_PROVIDER=libvirt
# Redis's own tests in the VM: three units (--test smoke) instead of the fast subset, which takes about
# 440 s under emulation (20 s on the host, where make test runs it on the same source): the build and its
# tests as the unprivileged build user are still proved, in a budget that has room for the lessons.
export CELERY_LAB_REDIS_TEST="${CELERY_LAB_REDIS_TEST:-smoke}"
# Its own libvirt domain, apart from a learner's VM, named after this run's PID: a run that died
# without its trap (a host restart, SIGKILL) leaves a domain no later run is blocked by, and which the
# next run removes (stale_domains below).
export CELERY_LAB_VM_PREFIX="celery-lab-test-$$-"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export CELERY_LAB_JUPYTER_PORT="${CELERY_LAB_JUPYTER_PORT:-$(free_port)}"
export CELERY_LAB_FLOWER_PORT="${CELERY_LAB_FLOWER_PORT:-$(free_port)}"
export CELERY_LAB_WEB_PORT="${CELERY_LAB_WEB_PORT:-$(free_port)}"

phases=()
t0=$SECONDS
phase_start=$SECONDS
current=""
phase_row() { printf '%-46s %5d s' "$1" "$2"; }  # NAME SECONDS: one line of the Phases table
end_phase() { # record the time of the current phase, if any
  if [ -n "$current" ]; then phases+=("$(phase_row "$current" $((SECONDS - phase_start)))"); fi
  current=""
}
phase() { # end the current phase, start the next
  end_phase
  current="$1"; phase_start=$SECONDS
  step "$1"
}

no_leftovers() { # after $1: no redis-server, celery or tmux process of the vagrant user may be left
  local left
  left="$(vagrant ssh -c 'ps -u vagrant -o pid=,args=' 2>/dev/null | tr -d '\r' | grep -E 'redis-server |/bin/celery |tmux' || true)"
  [ -z "$left" ] || die "$1 left processes running in the VM: $left"
  info "nothing left running by $1"
}

started_daemons=()
vm_up=0
finish() {
  local rc=$?
  set +e
  if [ "$vm_up" = 1 ]; then
    phase "vagrant destroy -f"
    vagrant destroy -f
  fi
  # vagrant-libvirt keeps a copy of each box it has booted in libvirt's pool, one volume per box
  # added; keep the newest of this box, remove the ones of older box builds (disk space, not state).
  if virsh -c qemu:///system pool-info default >/dev/null 2>&1; then
    virsh -c qemu:///system vol-list default | awk -v p="${CELERY_LAB_BOX//\//-VAGRANTSLASH-}_vagrant_box_image_" \
      'index($1, p) == 1 {print $1}' | sort -V | head -n -1 | while read -r vol; do
        virsh -c qemu:///system vol-delete --pool default "$vol" >/dev/null && info "removed the older box volume $vol"
      done
  fi
  local pid daemon
  for pidfile in "${started_daemons[@]}"; do
    pid="$(cat "$pidfile" 2>/dev/null)"; daemon="$(basename "$pidfile" .pid)"
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$daemon" ]; then continue; fi
    kill "$pid" || continue
    for _ in $(seq 100); do [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$daemon" ] || break; sleep 0.1; done
    info "stopped $daemon (pid $pid)"
  done
  # libvirt's NAT network turned on IPv4 forwarding and added its LIBVIRT_* chains; /dev/kvm was opened to
  # the kvm group above: all given back (libvirtd has ended: it adds no rule again), and compared
  if [ -f "$state/host/state" ]; then
    phase "The host as this run found it"
    host_restore "$state/host"
    host_left_as_found "$state/host" || rc=1
  fi
  end_phase
  printf '\n==> Phases\n'
  printf '    %s\n' "${phases[@]}" "$(phase_row total $((SECONDS - t0)))"
  if [ "$rc" = 0 ]; then printf '\ntest-vm: passed\n'; else printf '\ntest-vm: FAILED (exit %d)\n' "$rc" >&2; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

phase "Host tools (apt)"
host_tools vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils debootstrap \
  debian-archive-keyring shellcheck dnsmasq-base ebtables iptables rsync fdisk curl

phase "Lint: shellcheck, vagrant validate"
shellcheck -x scripts/*.sh scripts/vm/*.sh scripts/container/*.sh .devcontainer/*.sh lessons/*/*.sh
info "shellcheck: clean"
vagrant validate
# The cluster profile (lesson 16's hosts as VMs) is validated and its machines listed, not booted: four
# more emulated VMs do not fit CI's hour (docs/maintaining.md). A profile it does not know is refused.
CELERY_LAB_VMS=cluster vagrant validate
machines="$(CELERY_LAB_VMS=cluster vagrant status --machine-readable | awk -F, '$3 == "state" { printf "%s ", $2 }')"
[ "$machines" = "redis w1 w2 client " ] || die "the cluster profile's machines are '$machines', not lesson 16's hosts"
info "cluster profile: $machines"
if refused="$(CELERY_LAB_VMS=three vagrant validate 2>&1)"; then die "CELERY_LAB_VMS=three was not refused"; fi
grep -q "CELERY_LAB_VMS=three is not a profile" <<<"$refused" || die "CELERY_LAB_VMS=three refused without saying why: $refused"
info "CELERY_LAB_VMS=three: refused, saying why"

phase "libvirt daemons"
# What this run changes on the host and gives back at the end: forwarding, firewall, /dev/kvm's mode.
rm -rf "$state/host"
host_save "$state/host"
# No systemd on this host: start the daemons ourselves (and stop the ones we started, at the end).
if [ -e /dev/kvm ]; then chown root:kvm /dev/kvm 2>/dev/null || true; chmod 0660 /dev/kvm; fi
for daemon in virtlogd libvirtd; do
  pidfile="/run/$daemon.pid"
  # a pidfile can outlive its daemon (a host restart): it counts only if that PID is this daemon
  if [ -f "$pidfile" ] && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" = "$daemon" ]; then
    info "$daemon already running (pid $(cat "$pidfile"))"; continue
  fi
  rm -f "$pidfile"
  "$daemon" -d
  for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.2; done
  started_daemons+=("$pidfile")
  info "started $daemon (pid $(cat "$pidfile"))"
done
for _ in $(seq 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done

# Domains of earlier runs whose owner is gone: celery-lab-test-PID-… where PID is no running
# test-vm.sh (or celery-lab-test-default, the name before runs carried their PID). Removed with their
# disks; a domain of a run still going is left alone.
stale_domains() {
  virsh -c qemu:///system list --all --name | while read -r dom; do
    case "$dom" in
      celery-lab-test-default) echo "$dom" ;;
      celery-lab-test-*)
        owner="${dom#celery-lab-test-}"; owner="${owner%%-*}"
        [[ "$owner" =~ ^[0-9]+$ ]] || continue
        if ! tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | grep -q 'test-vm\.sh'; then echo "$dom"; fi ;;
    esac
  done
}
for dom in $(stale_domains); do
  virsh -c qemu:///system destroy "$dom" >/dev/null 2>&1 || true  # running or not
  virsh -c qemu:///system undefine "$dom" --remove-all-storage >/dev/null
  info "removed the domain $dom, left by a run that ended without its clean-up"
done

phase "Box: build or reuse"
bash scripts/vm/build-box.sh "$CELERY_LAB_BOX"

# The lessons whose blocks differ on the VM path (a block marked path=vm): the ones this test plays inside.
# VM_LESSONS=all: every lesson from 01 (00 has no VM block), to see that a change to the other lessons' blocks
# comes out the same in the VM too (docs/transcripts.md, "Bless").
# But 15: its one VM block is the host's `make bench` on a smaller burst, and under this host's emulation
# (no KVM) it measures QEMU for four minutes; make test plays the lesson whole as root and make
# test-container as a normal user. VM_LESSONS=all plays it here too.
vm_lessons=()
for readme in lessons/[0-9][0-9]-*/README.md; do
  n="$(basename "$(dirname "$readme")")"
  if [ "${VM_LESSONS:-}" = all ]; then
    [ "${n:0:2}" = 00 ] || vm_lessons+=("${n:0:2}")
  elif [ "${n:0:2}" != 15 ] && grep -q '^```[a-z]* .*path=vm' "$readme"; then
    vm_lessons+=("${n:0:2}")
  fi
done
[ ${#vm_lessons[@]} -gt 0 ] || die "no lesson has a block of the VM path (path=vm)"
info "the lessons of the VM path: ${vm_lessons[*]}"

phase "vagrant up (boot + provision)"
vm_up=1
vagrant up --provider=libvirt 2>&1 | tee "$state/up.log"

if [ "${BLESS:-0}" = 1 ]; then
  [ -x .venv/bin/python ] || die "BLESS=1 takes the blessed outputs in with the course's venv on this host: make venv"
  phase "Inside the VM: the lessons, blessed"
  vagrant ssh -c "cd ~/celery-lab && make venv redis && .venv/bin/python scripts/play.py --bless ${vm_lessons[*]}" \
    2>&1 | tee "$state/tour.log"
  [ "$(grep -c ': played as written' "$state/tour.log")" = "${#vm_lessons[@]}" ] \
    || die "the lessons did not all play inside the VM"
  rm -rf "$state/blessed" && mkdir -p "$state/blessed"
  vagrant ssh -c 'cd /vagrant && tar -c lessons/*/README.md | base64' 2>/dev/null | tr -d '\r' | base64 -d \
    | tar -x --no-same-owner --no-same-permissions -C "$state/blessed"
  # only the outputs come back: what changed here meanwhile (prose, blocks) stays
  .venv/bin/python scripts/play.py --adopt "$state/blessed" "${vm_lessons[@]}"
  info "took the VM's blessed outputs into lessons/: review them with git diff lessons/"
  vagrant rsync >/dev/null  # and played again below, as written now, to show they hold
  vagrant provision --provision-with course >/dev/null  # JupyterLab's copy of the course follows
fi
phase "Inside the VM: the VM path's lessons ${vm_lessons[*]} (make play)"
if ! vagrant ssh -c "cd ~/celery-lab && make play LESSON='${vm_lessons[*]}'" 2>&1 | tee "$state/tour.log" \
   || [ "$(grep -c ': played as written' "$state/tour.log")" != "${#vm_lessons[@]}" ]; then
  die "the lessons of the VM path did not all play as written inside the VM (the log above names the line)"
fi
grep -q "Stage lab-vm reached." "$state/tour.log" || die "the VM stage (lab-vm) was not reached inside the VM"
grep -q "Stage services reached." "$state/tour.log" || die "lesson 21's services (stage services) were not reached inside the VM"
no_leftovers "the lessons"
# Lesson 21 installs its services as root and ends by removing them (install.sh --remove): none may be left, in
# systemd, in its files or as users, and nothing of theirs running (their processes are not vagrant's).
left="$(vagrant ssh -c 'systemctl list-unit-files --no-legend celery-worker.service celery-beat.service celery-flower.service; \
  ls -d /etc/celery-lab /opt/celery-lab /var/lib/celery-beat /run/systemd/system.control/celery-worker.service.d 2>/dev/null; \
  getent passwd celery-worker celery-beat celery-flower; pgrep -a -f "/opt/[c]elery-lab/venv/bin/celery"' 2>/dev/null \
  | tr -d '\r' || true)"
[ -z "$left" ] || die "lesson 21 left its services behind: $left"
info "lesson 21's services: removed, nothing of theirs left"

phase "Inside the VM: their notebooks (nbmake)"
# The notebooks of the lessons above but 15 (with VM_LESSONS=all: its ladder measures the emulator, for minutes)
# and 21 (it plays systemd's part by hand, on workers of its own, with no sudo: the
# same on the host, while the lesson itself has just run the real units here), and 05's, the first worker of the
# course against the VM's redis service: the course's venv as a notebook's kernel inside the VM. make test executes
# every notebook on the host. Two at a time (-n 2; pyproject's -n 5 is for the host): two emulated CPUs and 2 GB.
notebooks=()
for n in "${vm_lessons[@]}" 05; do case "$n" in 15|21) ;; *) notebooks+=(notebooks/"$n"-*.ipynb) ;; esac; done
vagrant ssh -c "cd /vagrant && .venv/bin/pytest -p no:cacheprovider -n 2 ${notebooks[*]}" \
  2>&1 | tee "$state/notebooks.log"
# The notebooks stop what they start: no redis-server or celery of the vagrant user may be left.
no_leftovers "the notebooks"

phase "From the host: the forwarded JupyterLab port"
# The token stays out of this log and of every command line: read into a variable, handed to curl
# on its standard input (-K -) as a header.
token="$(vagrant ssh -c 'cat ~/.celery-lab-jupyter-token' 2>/dev/null | tr -d '\r\n')"
[ ${#token} -ge 32 ] || die "no JupyterLab token in the VM"
# http_code PORT PATH [CURL_CONFIG]: the HTTP status of 127.0.0.1:PORT/PATH; a secret goes in CURL_CONFIG, which
# curl reads from its standard input (-K -), never from its command line
http_code() { curl -s -m 10 -o /dev/null -w '%{http_code}' -K - "http://127.0.0.1:$1$2" <<<"${3:-}" || true; }
status() { # WITH_TOKEN(1|0): JupyterLab's /api/status through the forward
  if [ "$1" = 1 ]; then http_code "$CELERY_LAB_JUPYTER_PORT" /api/status "header = \"Authorization: token $token\""
  else http_code "$CELERY_LAB_JUPYTER_PORT" /api/status; fi
}
for _ in $(seq 60); do
  code="$(status 1)"
  [ "$code" = 200 ] && break
  sleep 2
done
[ "$code" = 200 ] || die "JupyterLab did not answer on 127.0.0.1:$CELERY_LAB_JUPYTER_PORT (HTTP $code)"
info "JupyterLab answers on 127.0.0.1:$CELERY_LAB_JUPYTER_PORT (HTTP 200 with the token)"
code="$(status 0)"
[ "$code" = 403 ] || die "JupyterLab answered HTTP $code without a token (403 expected)"
info "without the token: HTTP 403"
# What the token gives: a kernel, started and run through JupyterLab's REST and websocket API as a browser
# does (scripts/vm/jupyter-kernel.py, inside the VM: the service listens on the VM's loopback), runs as the
# service's own user, without sudo, unable to write what root runs at the next provision or vagrant's
# files, and without the token in its environment.
# shellcheck disable=SC2016  # the code is the kernel's
kernel_code='import os, pwd, subprocess
print("user:", pwd.getpwuid(os.getuid()).pw_name)
print("sudo:", "refused" if subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode else "ALLOWED")
def write(path):
    try:
        if os.path.isdir(path):
            probe = os.path.join(path, ".celery-lab-probe")
            open(probe, "x").close()
            os.remove(probe)
        else:
            open(path, "a").close()
        return "WRITABLE"
    except OSError:
        return "refused"
for path in ("/vagrant/scripts/vm/course.sh", "/vagrant/scripts/vm", "/vagrant", "/home/vagrant/.bashrc",
             "/home/vagrant", "/etc/profile.d", "/etc/systemd/system"):
    print("write " + path + ":", write(path))
print("token in its environment:", any(k.startswith("JUPYTER_TOKEN") for k in os.environ))
import sys
from pathlib import Path
root = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "stages.toml").is_file())  # as the notebooks do
sys.path.insert(0, str(root / "scripts"))
import celery, courselab.paths
print("celery", celery.__version__, "from", courselab.paths.REPO)'
# (the code travels as base64 in the command: it holds no secret, and needs no stdin through vagrant ssh)
kernel_out="$(vagrant ssh -c "base64 -d <<<$(base64 -w0 <<<"$kernel_code") | /vagrant/.venv/bin/python \
  /vagrant/scripts/vm/jupyter-kernel.py 8888 ~/.celery-lab-jupyter-token" 2>&1 | tr -d '\r')" \
  || die "no code ran in a kernel of the VM's JupyterLab: $kernel_out"
printf '%s\n' "$kernel_out" | sed 's/^/    kernel: /'
expected="user: celery-lab-jupyter
sudo: refused
write /vagrant/scripts/vm/course.sh: refused
write /vagrant/scripts/vm: refused
write /vagrant: refused
write /home/vagrant/.bashrc: refused
write /home/vagrant: refused
write /etc/profile.d: refused
write /etc/systemd/system: refused
token in its environment: False"
[ "$(head -n -1 <<<"$kernel_out")" = "$expected" ] || die "a kernel of JupyterLab can do more than it should (above)"
grep -q "^celery .* from /var/lib/celery-lab-jupyter/celery-lab$" <<<"$kernel_out" \
  || die "the kernel does not use the course's venv on its own copy of the course"
sudoers="$(vagrant ssh -c 'sudo -n -l -U celery-lab-jupyter' 2>&1 | tr -d '\r')"
grep -q "is not allowed to run sudo" <<<"$sudoers" || die "sudo lists rules for celery-lab-jupyter: $sudoers"
info "the token gives a kernel as celery-lab-jupyter: no sudo (sudo -l: not allowed), nothing root runs writable"
has_token() { grep -qFf <(printf '%s\n' "$token") "$@"; }  # the pattern on a file descriptor, not in argv
procs="$(vagrant ssh -c 'ps -eo args' 2>/dev/null)"
[ -n "$procs" ] || die "could not list the VM's processes"
if has_token <<<"$procs"; then die "the JupyterLab token is on a command line in the VM"; fi
info "the token is on no command line in the VM"
url="$(vagrant ssh -c celery-lab-jupyter-url 2>/dev/null | tr -d '\r')"
[ "$url" = "http://127.0.0.1:8888/lab?token=$token" ] || die "celery-lab-jupyter-url does not print the login URL"
info "celery-lab-jupyter-url prints the login URL"
grep -q "the tests run as celery-lab-build, in a copy of the tree" "$state/up.log" \
  || die "Redis's tests did not run as the unprivileged build user, in a copy of their own"
left="$(vagrant ssh -c 'sudo find /var/cache/celery-lab/redis/build -maxdepth 2 ! -user root' 2>/dev/null | tr -d '\r')"
[ -z "$left" ] || die "the build user's files are left beside the tree root installed from: $left"
info "Redis's tests ran as celery-lab-build, in a copy removed afterwards; root installed from its own tree"
# Where do the forwards listen? Only on the host's loopback (read from the socket table, no traffic). Lesson 20's
# page is not started in the VM: its forward is made as Flower's is, and Flower's is used below.
for port in "$CELERY_LAB_JUPYTER_PORT" "$CELERY_LAB_WEB_PORT"; do
  listen="$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u | tr '\n' ' ')"
  info "port $port listens on: $listen"
  [ -n "$listen" ] || die "nothing listens on the forwarded port $port"
  for addr in $listen; do
    case "$addr" in 127.0.0.1:*|\[::1\]:*) ;; *) die "port $port listens beyond loopback: $addr" ;; esac
  done
done
inside="$(vagrant ssh -c "ss -Hltn 'sport = :6379'" 2>/dev/null | awk '{print $4}' | sort -u | tr -d '\r' | tr '\n' ' ')"
info "inside the VM, Redis listens on: $inside"
for addr in $inside; do
  case "$addr" in 127.0.0.1:6379|\[::1\]:6379) ;; *) die "the VM's Redis listens beyond loopback: $addr" ;; esac
done

phase "From the host: the forwarded Flower port"
# Flower as lesson 12 starts it (flower.sh: the VM's 127.0.0.1, a password), in a session of its own in the
# VM, stopped again by its PID (flower.sh execs celery: the PID is Flower's). ($ in single quotes: the VM's.)
# shellcheck disable=SC2016
# (`;`, not `&&`: with `cd … && … &` a subshell holding the ssh session's terminal would run the pair, the ssh
# would not return, and $! would be that subshell's PID, not Flower's — seen in CI.)
# Its log and PID in a private folder of this run (mktemp -d), not at a fixed name in /tmp that another user
# could have made first; stopped by that PID, and only while it is still flower.sh's process group.
flower_dir="$(vagrant ssh -c 'mktemp -d' 2>/dev/null | tr -d '\r')"
[[ "$flower_dir" =~ ^/tmp/tmp\.[A-Za-z0-9]+$ ]] || die "no private folder for Flower in the VM: $flower_dir"
vagrant ssh -c "cd ~/celery-lab/lessons/12-monitoring || exit 1; PATH=\"\$HOME/celery-lab/.venv/bin:\$PATH\" setsid bash flower.sh \
  > $flower_dir/flower.log 2>&1 < /dev/null & echo \$! > $flower_dir/flower.pid" >/dev/null 2>&1
stop_flower() {
  vagrant ssh -c "pid=\$(cat $flower_dir/flower.pid) && [[ \$pid =~ ^[0-9]+\$ ]] && ps -o args= -p \$pid | grep -q celery \\
    && kill -- -\$pid; rm -rf $flower_dir" >/dev/null 2>&1 || true
}
flower() { # WITH_PASSWORD(1|0) PATH: Flower's HTTP status through the forward
  if [ "$1" = 1 ]; then http_code "$CELERY_LAB_FLOWER_PORT" "$2" "user = \"learner:$flower_password\""
  else http_code "$CELERY_LAB_FLOWER_PORT" "$2"; fi
}
flower_password=""
for _ in $(seq 60); do
  flower_password="$(vagrant ssh -c 'cat ~/.config/celery-lab/flower-password 2>/dev/null' 2>/dev/null | tr -d '\r\n')"
  [ -n "$flower_password" ] && [ "$(flower 1 /)" = 200 ] && break
  sleep 2
done
code="$(flower 1 /)"
[ "$code" = 200 ] || { stop_flower; die "Flower did not answer on 127.0.0.1:$CELERY_LAB_FLOWER_PORT with its password (HTTP $code)"; }
info "Flower answers on 127.0.0.1:$CELERY_LAB_FLOWER_PORT (HTTP 200 with the password)"
code="$(flower 0 /)"
[ "$code" = 401 ] || { stop_flower; die "Flower answered HTTP $code without the password (401 expected)"; }
info "without the password: HTTP 401"
listen="$(ss -Hltn "sport = :$CELERY_LAB_FLOWER_PORT" | awk '{print $4}' | sort -u | tr '\n' ' ')"
inside="$(vagrant ssh -c "ss -Hltn 'sport = :5555'" 2>/dev/null | awk '{print $4}' | sort -u | tr -d '\r' | tr '\n' ' ')"
procs="$(vagrant ssh -c 'ps -eo args' 2>/dev/null)"
if grep -qFf <(printf '%s\n' "$flower_password") <<<"$procs"; then stop_flower; die "Flower's password is on a command line"; fi
stop_flower
info "Flower's password is on no command line in the VM (flower.sh hands it over in the environment)"
info "the forward listens on: $listen; inside the VM, Flower listened on: $inside"
for addr in $listen $inside; do
  case "$addr" in 127.0.0.1:*|\[::1\]:*) ;; *) die "Flower's port listens beyond loopback: $addr" ;; esac
done
sleep 3
no_leftovers "Flower"

phase "vagrant provision again (must change nothing)"
vagrant provision 2>&1 | tee "$state/provision2.log"
counts="$(grep -Eo '[a-z-]+\.sh: changed: [0-9]+' "$state/provision2.log" | sort -u)"
info "$(tr '\n' ';' <<<"$counts")"
[ "$(grep -c 'changed: ' <<<"$counts")" -ge 4 ] || die "not every provisioning script reported its changes"
if grep -v 'changed: 0$' <<<"$counts" | grep -q .; then die "the second provision changed something: $counts"; fi
info "second provision: nothing changed"
for log in "$state"/*.log; do
  if has_token "$log"; then die "the JupyterLab token is in $log"; fi
done
info "the JupyterLab token is in none of this run's logs"
