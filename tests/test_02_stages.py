"""Lesson 02's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

from conftest import assert_fails_with, assert_passes, run_check
from courselab import paths

# --- redis-built --------------------------------------------------------------------------------


def test_redis_built_checks_pass(course):
    for check_id in ("redis-binaries", "redis-version", "redis-not-packaged", "redis-with-tls"):
        assert_passes(run_check(course, check_id))


def test_redis_binaries_fail_without_a_build(course, monkeypatch, tmp_path):
    monkeypatch.setenv("CELERY_LAB_REDIS_PREFIX", str(tmp_path / "empty"))
    result = run_check(course, "redis-binaries")
    assert_fails_with(result, course, "not-built")
    assert "make redis" in result.hint


def test_redis_version_fails_when_the_course_pins_another_release(course, monkeypatch):
    # the real binary (7.0.15) against a course that would pin 7.2.15
    monkeypatch.setenv("CELERY_LAB_REDIS_PREFIX", str(paths.redis_prefix()))
    monkeypatch.setattr(paths, "default_redis_version", lambda: "7.2.15")
    result = run_check(course, "redis-version")
    assert_fails_with(result, course, "wrong-version")
    assert "v=7.0.15" in result.detail


def test_redis_not_packaged_fails_for_a_distribution_binary(course, monkeypatch, tmp_path):
    # a prefix whose redis-server is a file some Debian package owns
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "redis-server").symlink_to("/usr/bin/env")
    monkeypatch.setenv("CELERY_LAB_REDIS_PREFIX", str(tmp_path))
    assert_fails_with(run_check(course, "redis-not-packaged"), course, "packaged")


def test_redis_with_tls_fails_for_a_build_without_openssl(course, monkeypatch, tmp_path):
    # a prefix whose redis-server is a real program with no OpenSSL in it, as a plain `make` leaves Redis
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "redis-server").symlink_to("/usr/bin/env")
    monkeypatch.setenv("CELERY_LAB_REDIS_PREFIX", str(tmp_path))
    result = run_check(course, "redis-with-tls")
    assert_fails_with(result, course, "no-tls")
    assert "make redis" in result.hint
