"""The tour, for real: every stage reached, another port when the wanted one is taken, nothing left running."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

from conftest import REPO


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not running; only its parent can reap it
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"


def test_tour_reaches_every_stage_on_another_port_and_stops_everything():
    with socket.socket() as taken:  # someone else's server on the port the tour wants
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        wanted = taken.getsockname()[1]
        env = {**os.environ, "CELERY_LAB_TOUR_PORT": str(wanted), "COLUMNS": "200"}
        for var in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_LAB_REDIS_PORT"):
            env.pop(var, None)
        proc = subprocess.run([sys.executable, "scripts/tour.py"], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert f"Port {wanted} is already taken" in out
    assert "6/6 reached" in out and "Every stage reached." in out
    assert "task done: Send Successful!" in out
    # the article's client, bug and all, prints 8 twice
    article = out[out.index("python article_client.py"):]
    assert article.count("task done: 8") >= 2
    stopped = [int(p) for p in re.findall(r"^stopping .* \(pid (\d+)\)$", out, re.M)]
    assert len(stopped) == 3, "redis-server and two workers"
    assert not [p for p in stopped if pid_alive(p)], "the tour left processes running"


def tour_env(**extra) -> dict:
    env = {**os.environ, "COLUMNS": "200", **extra}
    for var in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_LAB_REDIS_PORT"):
        env.pop(var, None)
    return env


def test_ctrl_c_stops_everything_the_tour_started():
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "scripts/tour.py"], cwd=REPO, env=tour_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        for line in proc.stdout:  # until lesson 05's worker is up
            seen.append(line)
            if "celery -A server worker --loglevel=info   # pid" in line:
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(seen) + rest
    assert proc.returncode == 130, out[-2000:]
    assert "Interrupted." in out
    stopped = [int(p) for p in re.findall(r"^stopping .* \(pid (\d+)\)$", out, re.M)]
    assert len(stopped) == 2, "redis-server and lesson 05's worker"
    assert not [p for p in stopped if pid_alive(p)]


def test_a_failed_stage_stops_the_tour_with_its_hint(tmp_path):
    env = tour_env(CELERY_LAB_REDIS_PREFIX=str(tmp_path / "nothing-here"))
    proc = subprocess.run([sys.executable, "scripts/tour.py"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    out = " ".join(proc.stdout.split())
    assert "There is no Redis under" in out and "make redis" in out
