"""`make tour`: lessons played in order in the same terminals, stopped on Ctrl-C, clear on failure."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

from conftest import REPO
from test_transcripts import assert_nothing_left


def tour_env(**extra) -> dict:
    env = {**os.environ, "COLUMNS": "200", **extra}
    for var in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_LAB_REDIS_PORT"):
        env.pop(var, None)
    return env


def test_lessons_follow_each_other_without_their_setup_blocks():
    # lesson 04 starts from its setup block (Redis); lesson 05 carries on with what 04 left running
    proc = subprocess.run([sys.executable, "scripts/tour.py", "--from", "04", "--to", "05"], cwd=REPO,
                          env=tour_env(), capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:]
    assert "Every lesson played as written." in out
    assert out.count("$ redis-server redis.conf") == 1, "lesson 05's setup block is skipped in a tour"
    assert "Stage worker-up reached." in out
    assert_nothing_left(out)


def test_ctrl_c_stops_everything_the_tour_started():
    proc = subprocess.Popen([sys.executable, "scripts/tour.py", "--from", "05"], cwd=REPO, env=tour_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        for line in proc.stdout:  # until lesson 05's worker is being started
            seen.append(line)
            if "$ celery -A server worker --loglevel=info" in line:
                break
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(seen) + rest
    assert proc.returncode == 130, out[-2000:]
    assert "Interrupted." in out
    assert_nothing_left(out)


def test_a_failed_lesson_stops_the_tour_with_the_stage_table(tmp_path):
    # a learner who skipped lesson 02: a clone with no Redis built in it
    clone = tmp_path / "celery-lab"
    shutil.copytree(REPO, clone, symlinks=True, ignore=shutil.ignore_patterns(".git", ".redis", ".run", ".venv"))
    (clone / ".venv").symlink_to(REPO / ".venv")
    proc = subprocess.run([sys.executable, "scripts/tour.py", "--from", "03"], cwd=clone, env=tour_env(),
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 1, out[-3000:]
    assert "lessons/03-run-redis/README.md:" in out and "exited with status 127" in out
    assert "redis-server: command not found" in out
    table = out[out.index("Where the course stands"):]
    assert re.search(r"│ 2 │ Redis built from source +│ 02-build-redis +│ +✗", table), table
    assert "There is no Redis under .redis/redis-7.0.15/bin" in table
    assert_nothing_left(out)
