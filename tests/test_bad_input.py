"""Bad input gets the message its lesson promises, names the section that fixes it, and exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from courselab import paths
from courselab.services import ServiceError, Worker

CELERY = str(REPO / ".venv" / "bin" / "celery") if (REPO / ".venv/bin/celery").exists() else "celery"


def test_celery_A_from_the_wrong_directory(services, redis_server):
    # `celery -A server worker` from the repository root instead of lessons/05-single-module-app
    with pytest.raises(ServiceError) as error:
        services.add(Worker(REPO, "server"))
    message = str(error.value)
    assert "The module server was not found" in message  # Celery's own words, quoted in lesson 05
    assert "run it from the folder that holds server.py" in message
    assert "lessons/05-single-module-app/README.md, section 'Troubleshooting'" in message
    assert services.started[-1].proc.returncode != 0


def test_celery_itself_exits_non_zero_from_the_wrong_directory(tmp_path):
    proc = subprocess.run([CELERY, "-A", "server", "worker"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "Unable to load celery application" in proc.stderr + proc.stdout


def test_mixed_setting_names_stop_the_worker(services, redis_server):
    with pytest.raises(ServiceError) as error:
        services.add(Worker(paths.lesson_dir("07-split-layout/mixed"), "app"))
    message = str(error.value)
    assert "Cannot mix new and old setting keys" in message
    assert "celery upgrade settings config.py" in message
    assert "lessons/07-split-layout/README.md, section 'Mixing old and new names'" in message
    assert services.started[-1].proc.returncode == 1


def test_worker_with_redis_down(services, port):
    with pytest.raises(ServiceError) as error:
        services.add(Worker(paths.lesson_dir("05"), "server"))
    message = str(error.value)
    assert "cannot reach its broker" in message
    assert f"Redis is not running on port {port}" in message
    assert "lessons/03-run-redis/README.md, section 'Start the server'" in message


def test_client_with_redis_down_exits_non_zero(port):
    from courselab.lessonapp import lesson_env

    folder = paths.lesson_dir("06")
    proc = subprocess.run([sys.executable, "client.py"], cwd=folder, env=lesson_env(folder, "server"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Connection refused" in proc.stderr or "Error 111" in proc.stderr


def test_checker_with_worker_down_names_the_lesson(redis_server):
    env = {**os.environ, "COLUMNS": "250"}
    proc = subprocess.run([sys.executable, "scripts/check.py", "worker-up"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "No worker answered" in proc.stdout
    assert "lessons/05-single-module-app/README.md, section 'Run the worker'" in proc.stdout


def test_make_venv_names_the_python_its_lock_is_for(tmp_path):
    # requirements.txt holds the wheels of CPython 3.11-3.13: another Python would stop at pip's hash check
    def python(version: str) -> Path:
        path = tmp_path / f"python{version}"
        path.write_text(f"#!/bin/sh\necho {version}\n")  # answers like that Python asked for its version
        path.chmod(0o755)
        return path

    other = python("3.14")
    proc = subprocess.run(["bash", "scripts/check-python.sh", str(other)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"requirements.txt holds the wheels of CPython 3.11 3.12 3.13 only, and {other} is Python 3.14" \
        in proc.stderr
    assert "make venv PYTHON=python3.11" in proc.stderr
    assert "README.md, 'Three ways in'; lessons/01-lab-machine/README.md" in proc.stderr
    for served in ("3.12", "3.13", "{}.{}".format(*sys.version_info[:2])):
        assert subprocess.run(["bash", "scripts/check-python.sh", str(python(served))], cwd=REPO).returncode == 0


def test_install_build_deps_prints_the_command_when_asked_to_install_nothing():
    """CELERY_LAB_APT=print: the missing packages listed with their reasons, the exact command printed, nothing
    installed, exit 1 (issue 24: no silent sudo apt-get)."""
    absent = "celery-lab-no-such-package"  # no package has this name: dpkg reports it missing
    proc = subprocess.run(["bash", "scripts/install-build-deps.sh", absent], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "CELERY_LAB_APT": "print"}, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"      {absent} asked for by the caller" in proc.stdout
    assert "CELERY_LAB_APT=print: nothing installed. Run this yourself, then try again:" in proc.stderr
    assert f"sudo apt-get update && sudo apt-get install -y --no-install-recommends {absent}" in proc.stderr
