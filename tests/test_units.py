"""Unit tests of the pure functions behind the checker (no processes)."""

from __future__ import annotations

from pathlib import Path

from courselab.checks import exposure
from courselab.lessonapp import with_port


def test_with_port_keeps_host_database_and_credentials():
    assert with_port("redis://localhost:6379/0", 16000) == "redis://localhost:16000/0"
    assert with_port("redis://127.0.0.1:6379/1", 16000) == "redis://127.0.0.1:16000/1"
    assert with_port("redis://:secret@localhost:6379/2", 7000) == "redis://:secret@localhost:7000/2"
    assert with_port("redis://localhost/0", 7000) == "redis://localhost:7000/0"


def test_exposure_of_redis_settings():
    assert exposure(["127.0.0.1", "-::1"], "yes") == []
    assert exposure(["127.0.0.1"], "no") == ["protected-mode no"]
    assert exposure(["0.0.0.0"], "yes") == ["bind 0.0.0.0"]
    assert exposure(["*", "-::*"], "yes") == ["bind *", "bind -::*"]
    assert exposure([], "yes") == ["no bind (all interfaces)"]


def test_causes_are_recognised_from_error_text(course):
    match = course.match_cause
    assert match("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.").id \
        == "redis-down"
    assert match("Error: Unable to load celery application.\nThe module server was not found.").id \
        == "wrong-directory"
    assert match("NotImplementedError: No result backend is configured.").id == "no-backend"
    assert match("celery.exceptions.TimeoutError: The operation timed out.").id == "no-result"
    assert match("Cannot mix new and old setting keys, please rename").id == "mixed-names"
    assert match("-DENIED Redis is running in protected mode because protected mode is enabled").id \
        == "protected-mode"
    assert match("something else entirely") is None


def test_redis_locations_follow_the_build_scripts_variables(monkeypatch):
    from courselab import paths

    monkeypatch.delenv("REDIS_WORKDIR", raising=False)
    monkeypatch.delenv("CELERY_LAB_REDIS_PREFIX", raising=False)
    version = paths.default_redis_version()
    assert paths.redis_workdir() == paths.REPO / ".redis"
    assert paths.redis_prefix() == paths.REPO / ".redis" / f"redis-{version}"
    # the VM: installed into /usr/local from the verified tarball kept under /var/cache (scripts/vm/)
    monkeypatch.setenv("REDIS_WORKDIR", "/var/cache/celery-lab/redis")
    monkeypatch.setenv("CELERY_LAB_REDIS_PREFIX", "/usr/local")
    assert paths.redis_workdir() == Path("/var/cache/celery-lab/redis")
    assert paths.redis_bin("redis-cli") == Path("/usr/local/bin/redis-cli")
