"""Lesson 01's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

from conftest import assert_fails_with, run_check
from courselab import checks

# --- lab-vm: these pass inside the VM (shown by `make test-vm`); here, they must fail well ----------


def test_vm_os_fails_outside_the_course_vm(course):
    result = run_check(course, "vm-os", version_id="99")  # whatever this host is, it is no Debian 99
    assert_fails_with(result, course, "not-in-vm")
    assert "vagrant ssh" in result.hint


def test_vm_service_checks_fail_without_the_service(course):
    for check_id in ("vm-redis-service", "vm-redis-binary"):
        result = run_check(course, check_id, unit="celery-lab-no-such-unit")
        assert_fails_with(result, course, "service-down")
        assert "systemctl status redis" in result.hint


def test_vm_redis_config_fails_for_the_lesson_redis(course, redis_server):
    # the lessons' Redis is not the VM's service: not supervised by systemd, another dir
    result = run_check(course, "vm-redis-config")
    assert_fails_with(result, course, "vm-config")
    assert "'supervised': 'no'" in result.detail


def test_the_vm_stage_is_marked_outside_the_vm(course, monkeypatch):

    monkeypatch.delenv("CELERY_LAB_SYSTEM_REDIS", raising=False)
    assert checks.run_all(course)["lab-vm"] == checks.SKIPPED
