"""Lesson 11's stage checks (stages.toml): each passes when its stage is reached, and fails with its hint
when not — the learner's real mistakes, made for real. (tests/test_stages.py: the failing-scenario map of every check.)
"""

from __future__ import annotations

from conftest import assert_fails_with, assert_passes, run_check, worker
from courselab import lessonapp, paths
from courselab.terminals import poll

# --- scheduling (lesson 11) ---------------------------------------------------------------------


def tick(*options, label: str = "later"):
    """Send lesson 11's tick as later.py does (with its options), and wait for its run."""
    with lessonapp.lesson_app(paths.lesson_dir("11"), "timing") as app:
        return app.send_task("timing.tick", [label], **dict(options)).get(timeout=60)


def test_scheduling_passes_once_a_countdown_ran_and_beat_sent(course, services, redis_server):
    from courselab.services import Beat

    worker(services, paths.lesson_dir("11"), "timing")
    assert tick(("countdown", 1)) == "later"
    beat = services.add(Beat(paths.lesson_dir("11"), "timing", redis_server.cwd / "celerybeat-schedule"))
    result = poll(lambda: run_check(course, "timing-beat-sent"), 30, done=lambda r: r.ok)
    for check_id in ("timing-tasks-registered", "timing-countdown-ran", "timing-visibility-timeout"):
        assert_passes(run_check(course, check_id))
    assert_passes(result)
    assert "Scheduler: Sending due task tick-every-2-seconds (timing.tick)" in beat.output()


def test_scheduling_checks_fail_without_a_countdown_or_a_beat(course, services, redis_server):
    """The learner called tick directly: a result, but with neither label the stage asks for."""
    worker(services, paths.lesson_dir("11"), "timing")
    assert tick(label="now") == "now"
    countdown = run_check(course, "timing-countdown-ran")
    assert_fails_with(countdown, course, "no-countdown-run")
    assert "1 × timing.tick SUCCESS" in countdown.detail and "python later.py 10" in countdown.hint
    beat = run_check(course, "timing-beat-sent")
    assert_fails_with(beat, course, "no-beat-run")
    assert "celery -A timing beat" in beat.hint


def test_a_worker_left_on_the_short_visibility_timeout_is_named(course, services, redis_server):
    """Lesson 11, section 6's worker still runs: every countdown of 20 s it takes will run twice."""
    worker(services, paths.lesson_dir("11"), "short_timeout")
    result = run_check(course, "timing-visibility-timeout")
    assert_fails_with(result, course, "short-visibility-timeout")
    assert "runs with visibility_timeout 5 s" in result.detail and "short_timeout.py" in result.hint
