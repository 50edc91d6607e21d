"""scripts/build-redis.sh: verified before anything is extracted, idempotent, clear on bad input."""

from __future__ import annotations

import subprocess

import pytest
from conftest import REPO
from courselab import paths

SCRIPT = str(REPO / "scripts" / "build-redis.sh")


def build(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", SCRIPT, *args], capture_output=True, text=True, timeout=600, env=env)


def official_tarball():
    tarball = paths.REPO / ".redis" / "downloads" / f"redis-{paths.default_redis_version()}.tar.gz"
    assert tarball.is_file(), "make test builds Redis (and so fetches the tarball) before the tests"
    return tarball


def test_a_tampered_tarball_is_refused_and_nothing_is_installed(tmp_path):
    tampered = tmp_path / "redis.tar.gz"
    data = bytearray(official_tarball().read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle
    tampered.write_bytes(data)
    prefix, work = tmp_path / "prefix", tmp_path / "work"

    proc = build("--tarball", str(tampered), "--prefix", str(prefix), "--workdir", str(work), "--test", "none")

    assert proc.returncode != 0
    assert "checksum mismatch" in proc.stderr and "refusing to build" in proc.stderr
    assert "lessons/02-build-redis" in proc.stderr
    assert not prefix.exists(), "nothing may be installed"
    assert not (work / "build").exists(), "nothing may be extracted"
    assert list((work / "downloads").iterdir()) == [], "the bad file is not kept"
    assert tampered.exists(), "the learner's own file is left alone"


def test_the_official_tarball_verifies(tmp_path):
    # the same file, untouched, passes the same check
    proc = build("--tarball", str(official_tarball()), "--workdir", str(tmp_path), "--fetch-only")
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout and (tmp_path / "downloads" / official_tarball().name).is_file()
    assert not (tmp_path / "build").exists()


def test_second_run_is_a_no_op():
    proc = build("--prefix", str(paths.redis_prefix()))
    assert proc.returncode == 0, proc.stderr
    assert "already installed" in proc.stdout and "Fetch" not in proc.stdout


def test_unknown_version_is_refused_with_the_known_list(tmp_path):
    proc = build("--version", "3.2.5", "--prefix", str(tmp_path / "p"), "--workdir", str(tmp_path))
    assert proc.returncode != 0
    assert "only a sha1" in proc.stderr  # the article's release: no official sha256
    proc = build("--version", "9.9.9", "--prefix", str(tmp_path / "p"), "--workdir", str(tmp_path))
    assert proc.returncode != 0 and "redis-7.0.15.tar.gz" in proc.stderr
    assert not (tmp_path / "p").exists()


def test_make_args_take_var_value_words_only(tmp_path):
    for bad in ("install", "-C /", "USE_SYSTEMD=yes *", "CFLAGS=$(id)"):
        proc = build("--make-args", bad, "--prefix", str(tmp_path / "p"), "--workdir", str(tmp_path))
        assert proc.returncode != 0 and "VAR=value words only" in proc.stderr, (bad, proc.stderr)
    assert not (tmp_path / "p").exists() and not (tmp_path / "downloads").exists()


def test_the_test_user_must_exist_and_not_be_root(tmp_path):
    for user, why in (("celery-lab-no-such-user", "no such user"), ("root", "is root")):
        proc = build("--test-user", user, "--prefix", str(tmp_path / "p"), "--workdir", str(tmp_path))
        assert proc.returncode != 0 and why in proc.stderr, proc.stderr
    assert not (tmp_path / "p").exists()


def test_the_private_apt_sources_keep_apts_signature_checks(tmp_path):
    """build-redis.sh's Debian fallback copies the system's sources; switches that turn checks off stay behind."""
    etc = tmp_path / "etc"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text(
        "deb [trusted=yes arch=amd64] http://mirror.invalid/debian bookworm main\n"
        "deb [ allow-insecure=yes signed-by=/usr/share/keyrings/k.gpg ] "
        "http://mirror.invalid/debian bookworm-updates main\n"
        "# deb http://commented.invalid/ bookworm main\n")
    (etc / "sources.list.d" / "extra.sources").write_text(
        "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm\nComponents: main\nTrusted: yes\n"
        "Allow-Weak: yes\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    out = tmp_path / "out"
    proc = subprocess.run(["bash", str(REPO / "scripts" / "apt-src-sources.sh"), str(etc), str(out)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    rendered = {f.name: f.read_text() for f in out.iterdir()}
    assert rendered["src0.list"].splitlines() == [
        "deb-src [arch=amd64] http://mirror.invalid/debian bookworm main",
        "deb-src [signed-by=/usr/share/keyrings/k.gpg ] http://mirror.invalid/debian bookworm-updates main"]
    assert rendered["src1.sources"].splitlines() == [
        "Types: deb-src", "URIs: http://mirror.invalid/debian", "Suites: bookworm", "Components: main",
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"]


@pytest.mark.parametrize("log, cause", [
    ("[exception]: couldn't open socket: address already in use", "another Redis build or test runs on this machine"),
    ("[err]: SET and GET in tests/unit/type/string.tcl", "the [err] and [exception] lines of the log name"),
])
def test_failed_redis_tests_name_their_likeliest_cause(tmp_path, log, cause):
    """Two builds at once collide on the test suite's ports: said so, not "is tcl installed?" (tcl is)."""
    (tmp_path / "test.log").write_text(log + "\n")
    script = (REPO / "scripts" / "build-redis.sh").read_text()
    function = script[script.index("why_tests_failed() {"):]
    function = function[:function.index("\n}\n") + 3]
    said = subprocess.run(["bash", "-c", function + 'why_tests_failed "$1"', "-", str(tmp_path / "test.log")],
                          capture_output=True, text=True, check=True).stdout
    assert cause in said and "tcl" not in said.lower()
