"""Lesson 16, Redis off loopback made safe: real network namespaces (hosts.sh), the course's real Redis (built
with TLS by make redis) listening on the redis host's address with TLS only and the users of users.sh, a real
Celery worker on another host. Every refused connection is its own test, with the words Redis (or the
TLS layer) refuses it with. Run as root (CI is): namespaces need it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_fails_with, assert_passes, run_check
from courselab.hosts import LESSON, REDIS_ADDRESS, Hosts, TLSRedis
from courselab.hosts import secrets as hosts_secrets
from courselab.services import Services, Worker

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root (CI runs as root)")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory) -> Hosts:
    home = tmp_path_factory.mktemp("home")
    with Hosts(f"t{os.getpid()}", home) as made:
        yield made


def secrets(hosts: Hosts) -> Path:
    return hosts_secrets(hosts.home)


@pytest.fixture(scope="module")
def redis_tls(hosts, redis_built):
    with Services() as started:
        yield started.add(TLSRedis(hosts))


def knock(hosts: Hosts, *args: str) -> str:
    """The lesson's knock.py, run on the client host: what Redis (or TLS) answered, after the "->"."""
    done = hosts.run("client", sys.executable, str(LESSON / "knock.py"), *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split(" -> ", 1)[1]


def admin(hosts: Hosts, *command: str) -> str:
    return knock(hosts, "--user", "admin", *command)


def test_the_celery_user_gets_in_over_tls(redis_tls, hosts):
    assert knock(hosts) == "True"


def test_plain_text_is_refused(redis_tls, hosts):
    # Redis's TLS port reads the client's first bytes as a TLS handshake, fails, and resets the connection
    assert knock(hosts, "--plain") == \
        f"refused: ConnectionError: Error while reading from {REDIS_ADDRESS}:6379 : (104, 'Connection reset by peer')"
    assert "wrong version number" in redis_tls.output()


def test_no_password_is_refused(redis_tls, hosts):
    # redis-py 8 speaks RESP3 (DEFAULT_RESP_VERSION = 3): its first command is HELLO 3, which Redis answers
    # only for a client that is authenticated, or that authenticates in it (HELLO 3 AUTH user password)
    assert knock(hosts, "--user", "none") == (
        "refused: AuthenticationError: HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol "
        "version at the same time")


def test_a_wrong_password_is_refused(redis_tls, hosts):
    assert knock(hosts, "--user", "nobody") == \
        "refused: AuthenticationError: invalid username-password pair or user is disabled."
    assert knock(hosts, "--user", "default") == \
        "refused: AuthenticationError: invalid username-password pair or user is disabled."


def test_a_server_certificate_from_another_ca_is_refused(redis_tls, hosts):
    # the client trusts only the system's CAs: the lesson's CA signed Redis's certificate, none of those did
    answer = knock(hosts, "--trust", "system")
    assert answer.startswith("refused: ConnectionError: ") and "certificate verify failed" in answer, answer


def test_the_celery_user_may_not_do_what_celery_does_not(redis_tls, hosts):
    assert knock(hosts, "FLUSHALL") == \
        "refused: NoPermissionError: this user has no permissions to run the 'flushall' command"
    assert knock(hosts, "CONFIG", "GET", "dir") == \
        "refused: NoPermissionError: this user has no permissions to run the 'config|get' command"
    assert knock(hosts, "KEYS", "*") == \
        "refused: NoPermissionError: this user has no permissions to run the 'keys' command"
    assert knock(hosts, "GET", "someone-else:key") == \
        "refused: NoPermissionError: this user has no permissions to access one of the keys used as arguments"
    assert knock(hosts, "GET", "celery:key") == "None"


def test_protected_mode_refuses_other_hosts_while_the_default_user_has_no_password(hosts, redis_built):
    """users.sh writes a line for the default user on purpose: an ACL file without one gets Redis's own
    default user (ACLCreateDefaultUser: on, nopass, every command), and while that user has no password,
    protected mode refuses every host but this one's loopback — the user celery too."""
    acl = secrets(hosts) / "users.acl"
    no_default = secrets(hosts) / "users-no-default.acl"
    no_default.write_text("".join(line for line in acl.read_text().splitlines(keepends=True)
                                  if not line.startswith("user default ")))
    with Services() as started:
        started.add(TLSRedis(hosts, 6380, "--aclfile", str(no_default)))
        answer = knock(hosts, "--port", "6380")
    assert answer.startswith("refused: ResponseError: DENIED Redis is running in protected mode because protected "
                             "mode is enabled and no password is set for the default user."), answer


def test_celery_works_across_hosts_within_its_acl(redis_tls, hosts):
    """A worker on w1, a client on the client host, both over TLS as the user celery: a task, a group, a
    chord, remote control; and Redis logged no command, key or channel refused (ACL LOG stays empty)."""
    assert admin(hosts, "ACL", "LOG", "RESET") == "OK"
    with Services() as started:
        started.add(Worker(LESSON, "tlsapp", extra=("-c", "2", "-n", "w1@%h", "-E"), env=hosts.env(),
                           on=hosts.on("w1")))
        client = """
from celery import chord, group
from tlsapp import add, app
print(add.delay(2, 3).get(timeout=30))
print(group(add.s(i, i) for i in range(4))().get(timeout=30))
print(chord((add.s(i, i) for i in range(3)), add.si(1, 1))().get(timeout=30))
print(sorted(app.control.inspect(timeout=2).ping()))
"""
        done = hosts.run("client", sys.executable, "-c", client, cwd=LESSON, timeout=120)
    assert done.stdout.split("\n")[:4] == ["5", "[0, 2, 4, 6]", "2", "['w1@" + os.uname().nodename + "']"], \
        done.stdout + done.stderr
    assert admin(hosts, "ACL", "LOG") == "[]"
    keys = admin(hosts, "KEYS", "*")
    assert "celery:_kombu.binding.celery" in keys and "celery:celery-task-meta-" in keys, keys


def test_the_lessons_code_will_not_dial_redis_from_anywhere_but_a_lesson_host():
    """knock.py (and tlsapp.py, through lan.py) stop before connecting when not on a lesson host. Tried in a
    network namespace of its own with only a loopback: were the guard broken, nothing could leave it."""
    done = subprocess.run(["unshare", "--net", sys.executable, "knock.py"], cwd=LESSON, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == ("not on a lesson 16 host (this address: None): run it with on.sh, e.g. "
                                   "./on.sh client python knock.py (lesson 16, section 1)")


def on_sh_in_a_machine_named(name: str, *command: str) -> subprocess.CompletedProcess:
    """on.sh run in a UTS namespace whose host name is NAME (as a cluster VM's is, lesson 18, section 7), for hosts of a
    prefix no namespace has, with a variable of this terminal's that must not come along."""
    env = {**os.environ, "CELERY_LAB_HOSTS": f"none{os.getpid()}", "LEFT_BEHIND": "1"}
    return subprocess.run(["unshare", "--uts", "sh", "-c", f'hostname {name} && exec ./on.sh "$@"', "sh", *command],
                          cwd=LESSON, env=env, capture_output=True, text=True, timeout=60)


def test_on_sh_on_the_machine_that_is_the_host_runs_the_command_there_with_a_clean_environment():
    done = on_sh_in_a_machine_named("w1", "w1", "sh", "-c", "hostname && env")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "w1"
    names = {line.split("=", 1)[0] for line in lines[1:]}
    assert {"HOME", "PATH", "LANG", "CELERY_LAB_HOSTS"} <= names and "LEFT_BEHIND" not in names, names


def test_on_sh_for_a_host_that_is_neither_a_namespace_nor_this_machine_says_where_to_go():
    done = on_sh_in_a_machine_named("w2", "w1", "true")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"on.sh: no host none{os.getpid()}-w1: make the hosts first with ./hosts.sh up (lesson 16, section 1); "
        "with the cluster's VMs, type it on the VM w1 (vagrant ssh w1; lesson 18, section 7)")


# --- stage off-loopback: its checks pass with the lesson's set-up, and fail with their hints ----------------


def test_the_stage_checks_pass_with_the_lesson_running(course, redis_tls, as_learner):
    for check_id in ("hosts-up", "redis-tls-only", "celery-user-limited"):
        assert_passes(run_check(course, check_id))


def test_no_hosts(course, monkeypatch):
    monkeypatch.setenv("CELERY_LAB_HOSTS", f"none{os.getpid()}")
    result = run_check(course, "hosts-up")
    assert_fails_with(result, course, "no-hosts")
    assert "./hosts.sh up" in result.hint


@pytest.fixture(scope="module")
def other_hosts(tmp_path_factory):
    """A second set of hosts, for a Redis set up wrong on its redis host's port 6379."""
    with Hosts(f"u{os.getpid()}", tmp_path_factory.mktemp("home2")) as made:
        yield made


@pytest.fixture
def wrong(other_hosts, redis_built, monkeypatch):
    """Start Redis on the other hosts with something wrong (extra arguments), as the learner's."""
    monkeypatch.setenv("CELERY_LAB_HOSTS", other_hosts.prefix)
    monkeypatch.setenv("HOME", str(other_hosts.home))
    with Services() as started:
        yield lambda *extra: started.add(TLSRedis(other_hosts, 6379, *extra))


def test_redis_not_started(course, wrong):
    assert_fails_with(run_check(course, "redis-tls-only"), course, "tls-redis-down")


def test_redis_also_in_plain_text(course, wrong):
    wrong("--port", "6380")
    result = run_check(course, "redis-tls-only")
    assert_fails_with(result, course, "plain-text-open")
    assert "port 6380" in result.detail


def test_a_celery_user_allowed_everything(course, wrong, other_hosts):
    acl = secrets(other_hosts) / "users.acl"
    unlimited = secrets(other_hosts) / "users-unlimited.acl"
    unlimited.write_text(re.sub(r"^user celery reset .* on ", "user celery reset ~* &* +@all on ",
                                acl.read_text(), flags=re.M))
    wrong("--aclfile", str(unlimited))
    assert_passes(run_check(course, "redis-tls-only"))
    assert_fails_with(run_check(course, "celery-user-limited"), course, "celery-user-unlimited")


def test_a_default_user_open_to_all(course, wrong, other_hosts):
    acl = secrets(other_hosts) / "users.acl"
    open_default = secrets(other_hosts) / "users-open.acl"
    open_default.write_text(re.sub(r"^user default .*$", "user default on nopass ~* &* +@all", acl.read_text(),
                                   flags=re.M))
    wrong("--aclfile", str(open_default), "--protected-mode", "no")
    assert_fails_with(run_check(course, "celery-user-limited"), course, "default-user-open")


# --- issue 24: the lesson's CA signs for the lesson's hosts only, and each VM gets only its own secrets -------


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def _leaf(cwd: Path, name: str, signer: str, signer_key: Path, san: str, ca: bool = False) -> None:
    """A certificate for `name` (SAN `san`), signed by `signer` (.crt) with `signer_key`; a CA itself if `ca`."""
    assert _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key",
                    cwd=cwd).returncode == 0
    assert _openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-out", f"{name}.csr",
                    cwd=cwd).returncode == 0
    ext = "basicConstraints = critical, CA:TRUE\nkeyUsage = keyCertSign\n" if ca else f"subjectAltName = {san}\n"
    (cwd / f"{name}.ext").write_text(ext)
    proc = _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", signer, "-CAkey", str(signer_key), "-CAcreateserial",
                    "-CAserial", str(cwd / "test.srl"), "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt",
                    cwd=cwd)
    assert proc.returncode == 0, proc.stderr


def test_the_lessons_ca_signs_only_for_the_lessons_names_and_no_other_ca(tmp_path):
    env = {**os.environ, "CELERY_LAB_SECRETS": str(tmp_path)}
    proc = subprocess.run(["bash", str(LESSON / "certs.sh")], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    tls, ca_key = tmp_path / "several-hosts" / "tls", tmp_path / "several-hosts" / "ca" / "ca.key"
    assert ca_key.exists() and not (tls / "ca.key").exists()  # the CA's key apart from what the hosts get
    assert [oct(p.stat().st_mode & 0o777) for p in (tmp_path / "several-hosts", tls, ca_key.parent)] == ["0o700"] * 3
    # what it signed verifies; what it signs for another name or address does not (nameConstraints)
    assert _openssl("verify", "-CAfile", "ca.crt", "redis.crt", cwd=tls).returncode == 0
    _leaf(tls, "elsewhere", "ca.crt", ca_key, "DNS:example.org, IP:10.150.15.10")
    _leaf(tls, "other-net", "ca.crt", ca_key, "DNS:redis, IP:192.0.2.10")
    for name in ("elsewhere", "other-net"):
        refused = _openssl("verify", "-CAfile", "ca.crt", f"{name}.crt", cwd=tls)
        assert refused.returncode != 0 and "permitted subtree violation" in refused.stdout + refused.stderr
    # nor does a CA it signed, for a name of the lesson (pathlen:0)
    _leaf(tls, "sub-ca", "ca.crt", ca_key, "", ca=True)
    _leaf(tls, "via-sub", "sub-ca.crt", tls / "sub-ca.key", "DNS:redis, IP:10.150.15.10")
    refused = _openssl("verify", "-CAfile", "ca.crt", "-untrusted", "sub-ca.crt", "via-sub.crt", cwd=tls)
    assert refused.returncode != 0 and "path length constraint exceeded" in refused.stdout + refused.stderr
