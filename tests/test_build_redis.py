"""scripts/build-redis.sh: verified before anything is extracted, idempotent, clear on bad input."""

from __future__ import annotations

import subprocess

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
