"""Lesson 04's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, assert_fails_with, assert_passes, run_check

# --- python-deps --------------------------------------------------------------------------------


def test_python_deps_pass(course):
    assert_passes(run_check(course, "packages"))
    assert_passes(run_check(course, "redis-py-rule"))


def test_packages_fail_outside_the_supported_range(course):
    result = run_check(course, "packages", require={"celery": ">=6"})
    assert_fails_with(result, course, "deps-version")
    assert "celery 5." in result.detail


def test_packages_fail_when_one_is_missing(course):
    result = run_check(course, "packages", require={"msgpack": ">=1"})
    assert_fails_with(result, course, "deps-missing")


def test_redis_py_rule_fails_with_an_old_redis_py(tmp_path):
    """A real redis-py 4.6 (older than kombu's redis extra allows) first on the path."""
    target = tmp_path / "old"
    pinned = tmp_path / "old.txt"  # hash-locked like requirements.txt: PyPI's sha256 of redis-4.6.0-py3-none-any.whl
    pinned.write_text("redis==4.6.0 --hash=sha256:e2b03db868160ee4591de3cb90d40ebb50a90dd302138775937f6a42b7ed183c\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--require-hashes",
                    "--only-binary=:all:", "--target", str(target), "-r", str(pinned)], check=True)
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "250"}
    proc = subprocess.run([sys.executable, "scripts/check.py", "python-deps"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    out = " ".join(proc.stdout.split())
    assert proc.returncode == 1, out
    assert "redis 4.6.0" in out or "installed: 4.6.0" in out, out
    assert "make venv" in out and "Which versions, and why" in out
