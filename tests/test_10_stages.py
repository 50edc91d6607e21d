"""Lesson 10's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

import subprocess
import sys

from conftest import assert_fails_with, assert_passes, run_check, worker
from courselab import lessonapp, paths

# --- canvas (lesson 10) -----------------------------------------------------------------------------


def run10(script: str) -> str:
    """Run one of lesson 10's scripts as the lesson does; its output."""
    folder = paths.lesson_dir("10")
    proc = subprocess.run([sys.executable, script], cwd=folder, env=lessonapp.lesson_env(folder, "flow"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_canvas_passes_once_the_chord_and_the_broken_chain_ran(course, services, redis_server):
    worker(services, paths.lesson_dir("10"), "flow")
    assert "result: 12" in run10("chord_demo.py") and "get(): ValueError('cannot handle 2')" in run10("errors_demo.py")
    for check_id in ("canvas-tasks-registered", "canvas-chord-result", "canvas-chain-stopped"):
        assert_passes(run_check(course, check_id))


def test_canvas_checks_fail_after_only_the_chain_that_works(course, services, redis_server):
    """The learner ran chain_demo.py only: no chord body, no failed step."""
    worker(services, paths.lesson_dir("10"), "flow")
    assert "result: 42" in run10("chain_demo.py")
    chord = run_check(course, "canvas-chord-result")
    assert_fails_with(chord, course, "no-chord-result")
    assert "flow.add SUCCESS" in chord.detail and "python chord_demo.py" in chord.hint
    chain = run_check(course, "canvas-chain-stopped")
    assert_fails_with(chain, course, "no-chain-failure")
    assert "python errors_demo.py" in chain.hint
