"""Lesson 21: the worker, beat and Flower as systemd services.

The host has no systemd running it, so here: the lesson's unit files read by `systemd-analyze verify` and by the
checker's own reading (a machine without systemd-analyze), each rule of stage service-units failing with its hint
on a copy of the lesson broken as a learner might; the VM-only stage services failing well outside the VM, its
journal reading on lines a real VM printed, its beat count on real beats. What section 4 counts, with systemd's
signals sent by hand to a real worker (SIGTERM to the whole process group, KillMode=control-group: the running tasks
killed and run again; to the main process alone, KillMode=mixed: they finish), notebook 21 asserts, which `make test`
executes. `make test-vm` plays the lesson itself, units installed, inside the VM.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import assert_fails_with, assert_passes, lesson_copy, run_check
from courselab import paths, units
from courselab.checks import services
from courselab.services import Beat

LESSON = paths.lesson_dir("21")
UNIT_CHECKS = ("units-verified", "worker-stop-safe", "units-restart", "beat-schedule-writable", "pool-child-limit")


def test_the_lessons_units_pass(course):
    for check_id in UNIT_CHECKS:
        assert_passes(run_check(course, check_id))
    assert "systemd-analyze verify: no complaint" in run_check(course, "units-verified").detail


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert re.search(old, text, flags=re.M), (name, old)
    path.write_text(re.sub(old, new, text, flags=re.M))


# (file, line pattern, replacement, check, cause, words of the detail): the learner's mistakes
BROKEN = [
    ("celery-worker.service", r"^Type=exec$", "Type=exe", "units-verified", "unit-invalid",
     "Failed to parse service type"),
    ("celery-beat.service", r"^Restart=on-failure$", "Restart=on-failure\nKillMode=mixd", "units-verified",
     "unit-invalid", "kill mode"),
    ("celery-flower.service", r"^ExecStart=.*$", "", "units-verified", "unit-invalid", "ExecStart"),
    ("celery-worker.service", r"^KillMode=mixed\n", "", "worker-stop-safe", "unit-kills-tasks",
     "KillMode=control-group (systemd's default)"),
    ("celery-worker.service", r"^TimeoutStopSec=30$", "TimeoutStopSec=15s", "worker-stop-safe", "unit-stop-timeout",
     "TimeoutStopSec=15s is not longer than task_time_limit=20"),
    ("service.py", r"^    task_time_limit=20,\n", "", "worker-stop-safe", "unit-stop-timeout",
     "service.py sets no task_time_limit"),
    ("celery-beat.service", r"^Restart=on-failure$", "Restart=always", "units-restart", "unit-restart",
     "celery-beat.service: Restart=always"),
    ("celery-flower.service", r"^Restart=on-failure\n", "", "units-restart", "unit-restart", "Restart=no"),
    ("celery-worker.service", r"^User=celery-worker\n", "", "units-restart", "unit-as-root", "runs as root"),
    ("celery-beat.service", r" --schedule=\S+", "", "beat-schedule-writable", "schedule-unwritable",
     "celerybeat-schedule"),
    ("celery-beat.service", r"^StateDirectory=celery-beat\n", "", "beat-schedule-writable", "schedule-unwritable",
     "no StateDirectory="),
    ("celery.env", r" --max-memory-per-child=150000 --max-tasks-per-child=1000", "", "pool-child-limit",
     "no-child-limit", "CELERYD_OPTS='--concurrency=2'"),
]


@pytest.mark.parametrize(("name", "old", "new", "check_id", "cause", "words"), BROKEN,
                         ids=[f"{b[3]}:{b[4]}:{i}" for i, b in enumerate(BROKEN)])
def test_a_broken_unit_fails_with_its_hint(course, tmp_path, name, old, new, check_id, cause, words):
    folder = lesson_copy(tmp_path, "21")
    edit(folder, name, old, new)
    result = run_check(course, check_id, lesson=str(folder))
    assert_fails_with(result, course, cause)
    assert words in result.detail, result.detail


def test_the_units_are_read_without_systemd_analyze(course, tmp_path, monkeypatch):
    """macOS has no systemd-analyze: the checker reads the units itself (the PATH below has none)."""
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    result = run_check(course, "units-verified")
    assert_passes(result)
    assert "no systemd-analyze on this machine" in result.detail
    folder = lesson_copy(tmp_path, "21")
    edit(folder, "celery-worker.service", r"^KillMode=mixed$", "KillMode mixed")
    result = run_check(course, "units-verified", lesson=str(folder))
    assert_fails_with(result, course, "unit-invalid")
    assert "'KillMode mixed'" in result.detail


def test_systemd_time_spans_and_drop_ins_are_read_as_systemd_reads_them():
    assert units.seconds("30") == units.seconds("30s") == 30
    assert units.seconds("1min 30s") == 90 and units.seconds("infinity") == float("inf")
    unit = units.parse_unit("[Service]\nKillMode=mixed\n# a comment\nExecStart=/bin/a \\\n  --b\n"
                               "[Service]\nKillMode=control-group\n")
    assert units.setting(unit, "KillMode") == "control-group"  # the last one wins, as a drop-in's does
    assert units.setting(unit, "ExecStart") == "/bin/a --b"


# --- stage services: the VM's; here it fails well --------------------------------------------------


def test_the_services_stage_fails_well_outside_the_vm(course):
    for check_id in ("services-installed", "services-active", "service-worker-answers"):
        result = run_check(course, check_id)
        assert_fails_with(result, course, "services-not-installed")
        assert "systemd does not run this machine" in result.detail


# What `journalctl -u UNIT -o cat` printed in the course's VM when a unit would not start (lesson 21's "When it goes
# wrong", made for real on 2026-12-07: the app's folder 0700, CELERY_APP misspelt, beat's schedule in the app's folder).
JOURNAL = {
    "app-unreadable": "celery-worker.service: Changing to the requested working directory failed: Permission denied\n"
                      "celery-worker.service: Failed at step CHDIR spawning /opt/celery-lab/venv/bin/celery: "
                      "Permission denied\ncelery-worker.service: Main process exited, code=exited, status=200/CHDIR",
    "app-not-found": "Usage: celery [OPTIONS] [COMMAND] [ARGS]...\nTry 'celery --help' for help.\nError:\n"
                     "Unable to load celery application.\nThe module servic was not found.\n"
                     "celery-flower.service: Main process exited, code=exited, status=2/INVALIDARGUMENT",
    "schedule-unwritable": "[2026-12-07 09:00:30,139: WARNING/MainProcess] os.remove(self.schedule_filename + suffix)\n"
                           "[2026-12-07 09:00:30,141: WARNING/MainProcess] [Errno 30] Read-only file system: "
                           "'celerybeat-schedule'\ncelery-beat.service: Main process exited, code=exited, "
                           "status=1/FAILURE",
    "service-not-running": "Stopped celery-worker.service - celery-lab: the Celery worker of lesson 21.",
}


@pytest.mark.parametrize("cause", sorted(JOURNAL))
def test_a_units_journal_names_its_cause(course, cause):
    assert services.journal_cause(JOURNAL[cause]) == cause
    assert cause in course.causes


def test_beats_are_counted(course, tmp_path, redis_server, services):
    assert_fails_with(run_check(course, "one-beat"), course, "no-beat")
    for n in (1, 2):
        services.add(Beat(LESSON, "service", tmp_path / f"schedule-{n}"))
    result = run_check(course, "one-beat")
    assert_fails_with(result, course, "two-beats")
    assert result.detail.startswith("2 beat processes of service")
