"""Everything the course starts or installs fails closed (issue 10).

Each test shows one hole closed, for real: a worker whose main process dies first leaves no pool
child; JupyterLab refuses to start without a token or beyond loopback; pip refuses a package whose
hash does not match the lock; a Redis config is never rendered empty; a tree with a mount still in it
is not deleted; a certificate the host does not trust is not carried into the VM.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from courselab import paths
from courselab.lab import Lab
from courselab.services import Process, Worker, free_port, group_members
from courselab.terminals import poll

REPO = paths.REPO


# --- a stopped process leaves nothing of its group -------------------------------------------------


def test_stop_ends_the_group_when_its_leader_died_first(services, tmp_path):
    """A leader killed outright leaves a child behind (as a task's subprocess would); stop() ends it."""
    proc = services.add(Process("sh", ["sh", "-c", "sleep 600 & wait"], tmp_path, tmp_path / "sh.log"))
    group = proc.pid
    assert poll(lambda: len(group_members(group)) == 2, 30), group_members(group)
    os.kill(proc.pid, signal.SIGKILL)
    proc.proc.wait(timeout=10)
    assert group_members(group), "the child should outlive its leader: nothing here sends it a signal"
    services.stop(proc)
    assert poll(lambda: not group_members(group), 30), f"left running: {group_members(group)}"


def test_an_empty_group_is_not_signalled(services, tmp_path, monkeypatch):
    """Once a stopped process's group is empty its number may be reused: stop() signals it no more (issue 24)."""
    proc = services.add(Process("sleep", ["sleep", "600"], tmp_path, tmp_path / "sleep.log"))
    group = proc.pid
    assert poll(lambda: group_members(group) == [group], 30), group_members(group)
    sent = []
    real_killpg = os.killpg

    def killpg(pgid, sig):
        sent.append((sig, bool(group_members(pgid))))
        real_killpg(pgid, sig)

    monkeypatch.setattr(os, "killpg", killpg)
    services.stop(proc)
    assert sent and sent[0] == (signal.SIGTERM, True), sent
    assert all(members for _, members in sent), f"a signal went to an empty group: {sent}"


def test_no_pool_child_survives_its_worker_killed_first(services, redis_server):
    """SIGKILL a worker's main process, then stop(): no pool child is left.

    Celery already asks the kernel to SIGKILL each prefork child when the main process dies
    (celery/concurrency/prefork.py, process_initializer: platforms.set_pdeathsig('SIGKILL')); stop()
    signals the whole group as well, for whatever else a task may have started.
    """
    worker = services.add(Worker(paths.lesson_dir("05"), "server",
                                 extra=("--without-mingle", "--without-gossip", "-c", "2")))
    group = worker.pid
    assert poll(lambda: len(group_members(group)) == 3, 30), group_members(group)  # main + 2 children
    os.kill(worker.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)
    services.stop(worker)
    assert poll(lambda: not group_members(group), 30), f"left running: {group_members(group)}"


def test_a_notebooks_scratch_folder_is_private_and_removed(monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # Lab's SIGTERM handler: not in pytest
    monkeypatch.setattr("atexit.register", lambda *args: None)
    monkeypatch.setenv("CELERY_LAB_REDIS_PORT", "0")
    lab = Lab("security-test")
    folder = lab.scratch()
    (folder / "tampered.tar.gz").write_bytes(b"x")
    assert folder.stat().st_mode & 0o777 == 0o700
    lab.stop()
    assert not folder.exists()


# --- JupyterLab: no login without a token, no address beyond loopback unless asked -------------------


def notebook(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE")}
    return subprocess.run([sys.executable, "scripts/notebook.py", "--port", str(free_port()), *args], cwd=REPO,
                          env={**base, **(env or {})}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("content", [None, "", "\n", "short"])
def test_jupyterlab_refuses_to_start_without_a_token(tmp_path, content):
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)
    proc = notebook(env={"JUPYTER_TOKEN_FILE": str(token_file)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "JupyterLab is not started" in proc.stderr and "lesson 01, section '5." in proc.stderr
    assert "$ " not in proc.stdout  # jupyter lab was never run


def test_jupyterlab_refuses_an_address_beyond_loopback():
    proc = notebook("--ip", "0.0.0.0")
    assert proc.returncode == 2 and "not a loopback address" in proc.stderr and "--beyond-loopback" in proc.stderr


def test_jupyterlab_refuses_a_token_on_its_command_line():
    proc = notebook("--", "--IdentityProvider.token=")
    assert proc.returncode == 2 and "JUPYTER_TOKEN_FILE" in proc.stderr


@pytest.mark.parametrize("option", ["--config=/tmp/elsewhere.py", "--ServerApp.allow_origin=*",
                                    "--ServerApp.disable_check_xsrf=True",
                                    "--ServerApp.identity_provider_class=jupyter_server.auth.IdentityProvider"])
def test_jupyterlab_refuses_options_that_undo_its_login_or_checks(option):
    proc = notebook("--", option)
    assert proc.returncode == 2 and "would undo JupyterLab's login or its checks" in proc.stderr, proc.stderr
    assert "$ " not in proc.stdout


@pytest.mark.parametrize("setting", ['c.PasswordIdentityProvider.token = ""', "c.ServerApp.disable_check_xsrf = True",
                                     'c.ServerApp.allow_origin = "*"', "c.ServerApp.allow_remote_access = True"])
def test_jupyterlab_does_not_start_when_a_config_file_undoes_its_login(tmp_path, setting):
    """A ~/.jupyter file of the learner's (here JUPYTER_CONFIG_DIR) can take the token away: nothing starts."""
    (tmp_path / "jupyter_server_config.py").write_text(setting + "\n")
    proc = notebook(env={"JUPYTER_CONFIG_DIR": str(tmp_path)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "configuration would undo its login or its checks" in proc.stderr and "Not started" in proc.stderr
    assert "lesson 01, section '5." in proc.stderr


def test_jupyterlabs_kernels_do_not_inherit_its_token(services, tmp_path):
    """A kernel started through the REST API (scripts/vm/jupyter-kernel.py, as make test-vm uses it) runs code:
    no JUPYTER_TOKEN or JUPYTER_TOKEN_FILE in its environment, nor the token itself."""
    token_file = tmp_path / "token"
    token_file.write_text(os.urandom(24).hex())
    token_file.chmod(0o600)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE")}
    server = services.add(Process("jupyterlab", [sys.executable, "scripts/notebook.py", "--port", str(port)], REPO,
                                  tmp_path / "jupyter.log", env={**env, "JUPYTER_TOKEN_FILE": str(token_file),
                                                                 "JUPYTER_CONFIG_DIR": str(tmp_path)}))
    assert poll(lambda: f"127.0.0.1:{port}/lab" in server.output(), 60), server.output()
    assert "?token=..." in server.output()  # a token from a file is not printed (the VM's journal)
    code = ("import os\n"
            "print(sorted(k for k in os.environ if k.startswith('JUPYTER_TOKEN')))\n"
            f"print(any({token_file.read_text()!r} in v for v in os.environ.values()))\n")
    proc = subprocess.run([sys.executable, "scripts/vm/jupyter-kernel.py", str(port), str(token_file)], cwd=REPO,
                          input=code, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["[]", "False"], proc.stdout


# --- packages: hash-locked ---------------------------------------------------------------------------


LOCKS = ("requirements.txt", "requirements-hiredis.txt", "requirements-peers.txt", "requirements-uv.txt")  # every file
# `make venv` installs


def locked(lock: str = "requirements.txt") -> dict[str, list[str]]:
    """A lock file as {"name==version": [sha256, ...]} (pip's line continuations joined)."""
    text = (REPO / lock).read_text().replace("\\\n", " ")
    entries = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            pin, *options = line.split()
            entries[pin] = [o.removeprefix("--hash=sha256:") for o in options if o.startswith("--hash=sha256:")]
    return entries


def make_venv_recipes() -> dict[str, list[str]]:
    """The options `make venv` gives pip (or uv, INSTALLER=uv) for each file it installs, read from the Makefile's
    recipe: `$(INSTALL)` is pip's or uv's `pip install`, the same options either way."""
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    recipes = {}
    for line in text.splitlines():
        if (install := next((i for i in ("pip install", "$(INSTALL)") if i in line and " -r " in line), None)):
            options = line.split(install, 1)[1].split()
            at = options.index("-r")
            recipes[options[at + 1]] = options[:at] + options[at + 2:]
    return recipes


def make_venv_pip_options() -> list[str]:
    """The options `make venv` gives pip for requirements.txt."""
    return make_venv_recipes()["requirements.txt"]


def test_every_pin_carries_hashes_and_make_venv_requires_them():
    assert sorted(make_venv_recipes()) == sorted(LOCKS)
    for lock in LOCKS:
        entries = locked(lock)
        assert len(entries) > (50 if lock == "requirements.txt" else 0), lock
        assert not [pin for pin, hashes in entries.items() if not hashes]
        assert all(len(h) == 64 for hashes in entries.values() for h in hashes)
        assert {"--require-hashes", "--only-binary=:all:"} <= set(make_venv_recipes()[lock]), lock
    assert "hiredis==3.5.0" in locked("requirements-hiredis.txt")
    assert not [pin for pin in locked() if pin.startswith("hiredis==")]  # apart: lesson 15's hiredis rung only
    assert not [pin for pin in locked("requirements-peers.txt") if pin.startswith("hiredis==")]  # the peers too


def test_an_install_with_a_tampered_hash_fails(tmp_path):
    """The very options of `make venv`, on one line of requirements.txt: as locked, then with one digit changed."""
    pin = next(p for p in locked() if p.startswith("redis=="))
    hashes = locked()[pin]

    def install(digests: list[str]) -> subprocess.CompletedProcess:
        requirements = tmp_path / "one.txt"
        requirements.write_text(f"{pin} " + " ".join(f"--hash=sha256:{h}" for h in digests) + "\n")
        return subprocess.run([sys.executable, "-m", "pip", "install", *make_venv_pip_options(), "--no-deps",
                               "--target", str(tmp_path / "t"), "-r", str(requirements)],
                              capture_output=True, text=True, timeout=300)

    tampered = [h[:-1] + ("0" if h[-1] != "0" else "1") for h in hashes]
    refused = install(tampered)
    assert refused.returncode != 0 and "DO NOT MATCH THE HASHES" in refused.stderr, refused.stderr[-2000:]
    assert not (tmp_path / "t" / "redis").exists()
    accepted = install(hashes)
    assert accepted.returncode == 0, accepted.stderr[-2000:]
    assert (tmp_path / "t" / "redis" / "__init__.py").exists()


# --- the VM's redis.conf: never rendered empty, and what it says is what runs --------------------------


def render(upstream: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(REPO / "scripts/vm/redis-conf.sh"), str(upstream), str(out)],
                          capture_output=True, text=True, timeout=30)


def upstream_conf() -> Path:
    conf = paths.redis_workdir() / "build" / f"redis-{paths.default_redis_version()}" / "redis.conf"
    assert conf.is_file(), "make test builds Redis (its source tree included) before the tests"
    return conf


@pytest.mark.parametrize("source", ["missing", "empty", "not-redis-conf"])
def test_an_empty_or_failed_render_is_refused_and_the_old_config_kept(tmp_path, source):
    out = tmp_path / "redis.conf"
    out.write_text("bind 127.0.0.1 -::1\n# the config that was there before\n")
    upstream = tmp_path / "upstream.conf"
    if source == "empty":
        upstream.write_text("")
    elif source == "not-redis-conf":
        upstream.write_text("port 6379\n")
    proc = render(upstream, out)
    assert proc.returncode == 1 and "left as it was" in proc.stderr, proc.stderr
    assert out.read_text() == "bind 127.0.0.1 -::1\n# the config that was there before\n"
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".redis.conf")] == []  # no temp file left


def test_the_rendered_config_runs_loopback_only_and_denies_config_set_and_acl(services, tmp_path):
    out = tmp_path / "redis.conf"
    assert render(upstream_conf(), out).returncode == 0
    assert render(upstream_conf(), out).returncode == 3  # a second render changes nothing
    # run it for real, with a data folder and port of this test instead of /var/lib/redis and 6379
    data = tmp_path / "data"
    data.mkdir()
    text = out.read_text().replace("\ndir /var/lib/redis\n", f"\ndir {data}\n")
    out.write_text(text)
    port = free_port()
    server = services.add(Process("redis-server", [str(paths.redis_bin()), str(out), "--port", str(port),
                                                   "--supervised", "no"], data, data / "redis.log"))
    client = redis.Redis(port=port, decode_responses=True)
    assert poll(lambda: _pings(client), 30), server.output()
    assert client.config_get("bind") == {"bind": "127.0.0.1 -::1"}
    assert client.config_get("protected-mode") == {"protected-mode": "yes"}
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.config_set("requirepass", "locked-out")
    # nor may it give itself CONFIG back (issue 24): ACL is denied, but ACL WHOAMI
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.acl_setuser("default", commands=["+config"])
    assert client.acl_whoami() == "default"
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.config_set("protected-mode", "no")
    assert client.set("celery", "still works") and client.get("celery") == "still works"


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


# --- the box build: a tree with a mount still in it is never deleted --------------------------------

REMOVE_TREE_WHILE_BUSY = r"""
set -euo pipefail
source scripts/vm/lib.sh
work="$(mktemp -d)"
mkdir -p "$work/root/dev"
mount -t tmpfs none "$work/root/dev"         # as build-box.sh bind-mounts the host's /dev into its chroot
echo precious > "$work/root/dev/precious"
(cd "$work/root/dev" && exec sleep 60) & holder=$!   # keeps the mount busy: umount fails
for _ in $(seq 50); do [ "$(readlink /proc/$holder/cwd)" = "$work/root/dev" ] && break; sleep 0.1; done
if remove_tree "$work"; then echo "removed while busy"; else echo "refused: $?"; fi
cat "$work/root/dev/precious"
kill "$holder"; wait "$holder" 2>/dev/null || true
remove_tree "$work" && [ ! -e "$work" ] && echo "removed once unmounted"
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts need root (CI and make test-vm run as root)")
def test_a_failed_unmount_stops_the_cleanup():
    """In a mount namespace of its own (nothing of it reaches this machine's mounts)."""
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", REMOVE_TREE_WHILE_BUSY],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["refused: 1", "precious", "removed once unmounted"], proc.stdout
    assert "still mounted, so" in proc.stderr and "is left in place" in proc.stderr


# --- the VM trusts only the extra CAs the host trusts ---------------------------------------------------


def make_ca(folder: Path, name: str) -> Path:
    """A real self-signed CA certificate (openssl), as a proxy's CA would be."""
    cert = folder / name
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(folder / f"{name}.key"),
                    "-out", str(cert), "-subj", f"/CN=celery-lab test {name}", "-days", "2"],
                   check=True, capture_output=True, timeout=60)
    return cert


def test_only_certificates_the_host_trusts_are_carried_and_planted_ones_removed(tmp_path):
    source, keys = tmp_path / "share", tmp_path / "keys"
    (source / "sub").mkdir(parents=True)
    keys.mkdir()
    proxy = make_ca(keys, "proxy.crt")
    lying_there = make_ca(keys, "lying-there.crt")
    (source / "sub" / "proxy.crt").write_text(proxy.read_text())      # trusted: in the bundle below
    (source / "lying-there.crt").write_text(lying_there.read_text())  # only lying in the folder
    bundle = tmp_path / "ca-certificates.crt"
    bundle.write_text(make_ca(keys, "public-root.crt").read_text() + proxy.read_text())

    picked = subprocess.run([sys.executable, "scripts/vm/host-cas.py", str(source), str(bundle)], cwd=REPO,
                            capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    assert [entry.split(":")[0] for entry in picked.split()] == ["proxy.crt"]

    # in the VM (here: a scratch folder for its trust store); something planted there goes
    store = tmp_path / "store"
    store.mkdir()
    (store / "planted.crt").write_text(lying_there.read_text())

    def provision(cas: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "CELERY_LAB_HOST_CAS": cas, "CELERY_LAB_CA_DIR": str(store),
               "CELERY_LAB_CA_UPDATE": "true"}
        return subprocess.run(["bash", "scripts/vm/ca-certs.sh"], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=60)

    first = provision(picked)
    assert first.returncode == 0, first.stderr
    assert sorted(f.name for f in store.iterdir()) == ["proxy.crt"]
    assert (store / "proxy.crt").read_text().split() == proxy.read_text().split()
    assert "removed: " in first.stdout and "changed: 2" in first.stdout
    assert "changed: 0" in provision(picked).stdout
    # the host stops trusting it: the VM does too, at the next provision
    assert provision("").returncode == 0 and list(store.iterdir()) == []
    # and what is handed over must be a certificate
    bad = provision("evil.crt:" + "bm90IGEgY2VydGlmaWNhdGU=")  # base64 of "not a certificate"
    assert bad.returncode == 1 and "not a PEM certificate" in bad.stderr and list(store.iterdir()) == []


DEBIAN_PYTHON = Path("/usr/bin/python3")  # Debian 12's own, 3.11.2: the VM's, and the oldest the lock serves


@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="no system Python at /usr/bin/python3")
def test_the_lock_installs_with_require_hashes_on_the_oldest_python(tmp_path):
    """pip evaluates markers for the Python that runs it: a dependency only 3.11.2 needs (redis-py's
    async-timeout) must be in the lock too, or --require-hashes refuses the install in the VM."""
    version = subprocess.run([str(DEBIAN_PYTHON), "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    venv = tmp_path / "venv"
    made = subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"/usr/bin/python3 ({version}) cannot make a venv: {made.stderr.strip()[-200:]}")
    proc = subprocess.run([str(venv / "bin" / "pip"), "install", "--dry-run", "--ignore-installed",
                           *make_venv_pip_options(), "-r", str(REPO / "requirements.txt")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"Python {version}: {proc.stderr[-2000:]}"


def test_the_dev_container_forwards_only_the_courses_web_pages_and_asks_for_no_privilege():
    """devcontainer.json (JSON with whole-line // comments): the editor forwards 8888, 5555 and 8000 to the learner's
    loopback; nothing is published on the learner's network (appPort, -p) and the container gets no privilege."""
    import json

    text = (REPO / ".devcontainer" / "devcontainer.json").read_text()
    config = json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("//")))
    assert config["build"] == {"dockerfile": "../Containerfile", "context": ".."}
    assert config["forwardPorts"] == [8888, 5555, 8000]  # JupyterLab, Flower (lesson 12), the page (lesson 20)
    assert config["otherPortsAttributes"] == {"onAutoForward": "ignore"}
    assert "appPort" not in config and config["remoteUser"] == "learner"
    for arg in config.get("runArgs", []):
        assert not arg.startswith(("-p", "--publish", "--privileged", "--cap-add", "--security-opt", "--network")), arg


def test_the_containerfile_builds_from_debian_12_for_a_normal_user_and_keeps_the_proxy_ca_out():
    lines = [line.strip() for line in (REPO / "Containerfile").read_text().splitlines()]
    assert "ARG BASE=debian:12" in lines and "FROM ${BASE}" in lines
    assert [line for line in lines if line.startswith("USER ")] == ["USER learner"]
    # pip's CA bundle only as a build secret, mounted for that one step: never COPYed into a layer
    assert not any(line.startswith(("COPY", "ADD")) and "cert" in line for line in lines)
    assert any(line.startswith("RUN --mount=type=secret,id=pip-cert") for line in lines)


# --- issue 24: the suites give the host back as they found it ----------------------------------------------

HOST_LEFT_AS_FOUND = r"""
set -euo pipefail
source scripts/vm/lib.sh
saved="$(mktemp -d)"
host_save "$saved"
# what libvirt's NAT network does to a host: forwarding switched (on; off here if this namespace started with
# it on: a new namespace may take the machine's value), LIBVIRT_* chains, a nat table of its own
was="$(sysctl -n net.ipv4.ip_forward)"
echo "ip_forward was $was"
sysctl -qw net.ipv4.ip_forward=$((1 - was))
iptables -N LIBVIRT_FWO && iptables -A FORWARD -j LIBVIRT_FWO
iptables -t nat -N LIBVIRT_PRT && iptables -t nat -A POSTROUTING -j LIBVIRT_PRT
ip6tables -N LIBVIRT_INP && ip6tables -A INPUT -j LIBVIRT_INP
if host_left_as_found "$saved" 2>"$saved/diff"; then echo "changes not seen"; else echo "changes seen"; fi
host_restore "$saved"
host_left_as_found "$saved"
iptables-save | grep -c LIBVIRT || true
rm -rf "$saved"
"""


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/sbin/iptables-save").exists(),
                    reason="a network namespace and its firewall need root and iptables (CI, make test-vm)")
def test_forwarding_and_firewall_rules_are_given_back():
    """test-vm's clean-up, in a network namespace of this test's own (its firewall and forwarding switches)."""
    proc = subprocess.run(["unshare", "--net", "bash", "-c", HOST_LEFT_AS_FOUND],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    was = lines[0].removeprefix("ip_forward was ")
    assert lines[1] == "changes seen", proc.stdout
    assert lines[2].startswith(f"    host left as found: net.ipv4.ip_forward={was} "), lines
    assert "firewall 0 rules" in lines[2], lines
    assert lines[-1] == "0", proc.stdout  # no LIBVIRT_* chain left


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces take root (CI, make test, the tour's user namespace)")
def test_hosts_down_ends_what_still_runs_on_the_hosts(tmp_path):
    """Lesson 16's hosts.sh down: a process left on a host ends with it, not orphaned without a network."""
    lesson = REPO / "lessons" / "16-several-hosts"
    env = {**os.environ, "CELERY_LAB_HOSTS": f"dn{os.getpid()}"}
    subprocess.run(["bash", str(lesson / "hosts.sh"), "up"], env=env, check=True, capture_output=True, timeout=60)
    try:
        left = subprocess.Popen([str(lesson / "on.sh"), "w1", "sleep", "600"], env=env, start_new_session=True)
        assert poll(lambda: subprocess.run(["ip", "netns", "pids", f"dn{os.getpid()}-w1"], capture_output=True,
                                           text=True).stdout.split() == [str(left.pid)], 30)
    finally:
        down = subprocess.run(["bash", str(lesson / "hosts.sh"), "down"], env=env, capture_output=True, text=True,
                              timeout=60)
    try:
        assert down.returncode == 0, down.stderr
        assert f"dn{os.getpid()}-w1: stopped what still ran there (pids {left.pid})" in down.stdout, down.stdout
        assert left.wait(timeout=10) == -signal.SIGTERM
    finally:
        if left.poll() is None:  # what this test started, it stops (by PID), also when it fails
            left.kill()
            left.wait()
    assert not Path(f"/run/netns/dn{os.getpid()}-w1").exists()


def test_the_vm_scripts_keep_secrets_off_command_lines_and_extract_nothing_as_root():
    """Static, as the scripts run only in make test-vm: the host's package index (it may carry credentials)
    reaches pip through the environment, never runuser's argv, which `ps` shows to every user; the blessed
    READMEs taken back from the VM are extracted without the VM's owners and modes (setuid bits)."""
    course = (REPO / "scripts" / "vm" / "course.sh").read_text()
    assert "export PIP_INDEX_URL" in course
    assert not re.search(r"runuser[^\n]*(PIP_INDEX_URL|PIP_CERT)=", course.replace("\\\n", " "))
    test_vm = (REPO / "scripts" / "test-vm.sh").read_text()
    extracts = [line for line in test_vm.splitlines() if re.search(r"\btar -x", line)]
    assert extracts and all("--no-same-owner --no-same-permissions" in line for line in extracts), extracts
    assert "/tmp/celery-lab-flower" not in test_vm  # Flower's log and PID: a private mktemp -d folder
