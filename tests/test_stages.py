"""Every check of stages.toml: it passes when its stage is reached, and fails with its hint when not.

The failing scenarios are the learner's real mistakes, made for real: no Redis, no worker, a
worker started from old code, a client with the article's bug, a config with mixed names.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, lesson_copy, run_check, worker
from courselab import checks, lessonapp, paths
from courselab.terminals import poll

# check id -> the cause its failing scenario below must report
FAILING = {
    "vm-os": "not-in-vm",
    "vm-redis-service": "service-down",
    "vm-redis-binary": "service-down",
    "vm-redis-config": "vm-config",
    "redis-binaries": "not-built",
    "redis-version": "wrong-version",
    "redis-not-packaged": "packaged",
    "redis-ping": "redis-down",
    "redis-set-get": "redis-down",
    "redis-save": "no-dump",
    "redis-loopback": "exposed",
    "packages": "deps-version",
    "redis-py-rule": "deps-version",
    "worker-ping": "worker-down",
    "tasks-registered": "unregistered",
    "client-output": "no-result",
    "settings-names": "old-names",
    "split-worker-ping": "worker-down",
    "split-config-loaded": "config-not-loaded",
    "split-tasks-registered": "unregistered",
    "split-client-output": "no-result",
    "inside-tasks-registered": "unregistered",
    "inside-slow-result": "no-task-result",
    "states-tasks-registered": "unregistered",
    "states-failure-stored": "no-failure-result",
    "states-retried": "no-retry",
    "canvas-tasks-registered": "unregistered",
    "canvas-chord-result": "no-chord-result",
    "canvas-chain-stopped": "no-chain-failure",
    "timing-tasks-registered": "unregistered",
    "timing-countdown-ran": "no-countdown-run",
    "timing-beat-sent": "no-beat-run",
    "timing-visibility-timeout": "short-visibility-timeout",
    # lesson 12's scenarios: tests/test_stages_12.py
    "watched-tasks-registered": "unregistered",
    "watched-gate-opened": "no-gate-opened",
    "flower-loopback": "flower-exposed",
    "flower-login": "flower-no-login",
    "flower-task-events": "no-task-events",
    # lesson 13's: tests/test_stages_13.py
    "reliable-tasks-registered": "unregistered",
    "reliable-acks-late": "early-acks",
    "reliable-nothing-lost": "tasks-lost",
    "reliable-broker-keeps": "broker-forgets",
    # lesson 14's: tests/test_bench.py
    "ladder-measured": "no-ladder",
    # lesson 15's: tests/test_behaviour_15_tls.py
    "hosts-up": "no-hosts",
    "redis-tls-only": "plain-text-open",
    "celery-user-limited": "celery-user-unlimited",
    "routed-workers": "no-host-worker",
    # tests/test_behaviour_15_failover.py
    "sentinels-agree": "no-sentinel",
    "failover-workers": "no-failover-worker",
}


def all_check_ids(course) -> list[str]:
    return [c.id for s in course.stages for c in s.checks]


def test_every_check_has_a_failing_scenario(course):
    assert sorted(all_check_ids(course)) == sorted(FAILING)


def assert_fails_with(result, course, cause_id: str):
    assert not result.ok, result.detail
    assert result.cause is not None, f"no cause recognised for: {result.detail}"
    assert result.cause.id == cause_id, result.detail
    cause = course.causes[cause_id]
    assert result.hint and "{" not in result.hint, result.hint  # rendered, placeholders filled
    assert result.where.startswith("lessons/") and cause.section in result.where


def assert_passes(result):
    assert result.ok, f"{result.check.id}: {result.detail} / {result.hint}"
    assert result.detail


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
    from courselab import checks

    monkeypatch.delenv("CELERY_LAB_SYSTEM_REDIS", raising=False)
    assert checks.run_all(course)["lab-vm"] == checks.SKIPPED


# --- redis-built --------------------------------------------------------------------------------


def test_redis_built_checks_pass(course):
    for check_id in ("redis-binaries", "redis-version", "redis-not-packaged"):
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


# --- redis-running ------------------------------------------------------------------------------


def test_redis_running_checks_pass(course, redis_server):
    for check_id in ("redis-ping", "redis-set-get", "redis-save", "redis-loopback"):
        assert_passes(run_check(course, check_id))
    assert (redis_server.cwd / "dump.rdb").is_file()


@pytest.mark.parametrize("check_id", ["redis-ping", "redis-set-get"])
def test_redis_checks_fail_when_redis_is_down(course, port, check_id):
    result = run_check(course, check_id)
    assert_fails_with(result, course, "redis-down")
    assert f"port {port}" in result.hint and "redis-server redis.conf" in result.hint


def test_redis_save_fails_when_the_dump_cannot_be_written(course, redis_server):
    # something else stands where dump.rdb must go (a folder of that name)
    blocker = redis_server.cwd / "dump.rdb"
    blocker.mkdir()
    result = run_check(course, "redis-save")
    blocker.rmdir()  # so that Redis can save and stop at teardown
    assert_fails_with(result, course, "no-dump")


def test_redis_loopback_fails_with_protected_mode_off(course, redis_server):
    import redis as redis_py

    redis_py.Redis(port=redis_server.port).config_set("protected-mode", "no")
    result = run_check(course, "redis-loopback")
    assert_fails_with(result, course, "exposed")
    assert "protected-mode no" in result.detail


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


# --- worker-up ----------------------------------------------------------------------------------


def test_worker_up_passes_with_the_lesson_worker(course, worker05):
    assert_passes(run_check(course, "worker-ping"))
    assert_passes(run_check(course, "tasks-registered"))


def test_worker_ping_fails_without_a_worker(course, redis_server):
    result = run_check(course, "worker-ping")
    assert_fails_with(result, course, "worker-down")
    assert "celery -A server worker" in result.hint


def test_tasks_registered_fails_for_a_worker_started_from_old_code(course, services, redis_server, tmp_path):
    # the learner started the worker before writing sendmail, and never restarted it
    old = lesson_copy(tmp_path, "05")
    source = (old / "server.py").read_text()
    without_sendmail = source[: source.index("@app.task\ndef sendmail")] + source[source.index("# The app") :]
    (old / "server.py").write_text(without_sendmail)
    worker(services, old, "server")
    result = run_check(course, "tasks-registered")
    assert_fails_with(result, course, "unregistered")
    assert "server.sendmail" in result.detail


# --- client-works -------------------------------------------------------------------------------


def test_client_works_with_a_worker(course, worker05):
    assert_passes(run_check(course, "client-output"))


def test_client_fails_without_a_worker(course, redis_server):
    result = run_check(course, "client-output")
    assert_fails_with(result, course, "no-result")


def test_client_with_the_articles_bug_is_caught(course, worker05, tmp_path):
    copy = lesson_copy(tmp_path, "06")
    (copy / "client.py").write_text((copy / "article_client.py").read_text())
    result = run_check(course, "client-output", lesson=str(copy))
    assert_fails_with(result, course, "wrong-output")
    assert "Send Successful!" in str(result.detail)


def test_client_without_a_result_backend_is_explained(course, worker05, tmp_path):
    copy = lesson_copy(tmp_path, "06")
    server = (copy / "server.py").read_text().replace("backend='redis://localhost:6379/0', ", "")
    (copy / "server.py").write_text(server)
    result = run_check(course, "client-output", lesson=str(copy))
    assert_fails_with(result, course, "no-backend")


# --- split-layout -------------------------------------------------------------------------------


def test_split_layout_passes_with_its_worker(course, worker07):
    for check_id in ("settings-names", "split-worker-ping", "split-config-loaded", "split-tasks-registered",
                     "split-client-output"):
        assert_passes(run_check(course, check_id))


def test_settings_names_fail_for_the_articles_config(course):
    result = run_check(course, "settings-names", lesson="07-split-layout/article")
    assert_fails_with(result, course, "old-names")
    assert "BROKER_URL" in result.detail


def test_settings_names_fail_for_mixed_names(course):
    result = run_check(course, "settings-names", lesson="07-split-layout/mixed")
    assert_fails_with(result, course, "mixed-names")


def test_split_worker_ping_fails_with_only_the_single_module_worker(course, worker05):
    # lesson 05's worker listens on broker db 0; the split layout's broker is db 1
    result = run_check(course, "split-worker-ping")
    assert_fails_with(result, course, "worker-down")
    assert "celery -A app worker" in result.hint and "/1" in result.detail


def test_split_config_fails_for_a_worker_on_the_articles_config(course, services, redis_server):
    worker(services, paths.lesson_dir("07-split-layout/article"), "app")
    result = run_check(course, "split-config-loaded")
    assert_fails_with(result, course, "config-not-loaded")
    assert "msgpack" in result.detail


def test_two_workers_under_one_name_are_named_as_the_cause(course, services, worker07):
    # lesson 07's article worker started beside the split layout's, both as celery@<host>
    worker(services, paths.lesson_dir("07-split-layout/article"), "app")
    result = run_check(course, "split-worker-ping")
    assert_fails_with(result, course, "duplicate-nodes")
    assert "2 workers answer as celery@" in result.detail
    # which settings differ, so the stranger can be told: the article's accepts msgpack
    assert "accept_content: " in result.detail and "['json', 'msgpack']" in result.detail
    assert "Stop the one you don't need" in result.hint


def test_split_tasks_fail_when_app_py_lacks_include(course, services, redis_server, tmp_path):
    copy = lesson_copy(tmp_path, "07")
    (copy / "app.py").write_text((copy / "app.py").read_text().replace("Celery('app', include=['server'])",
                                                                       "Celery('app')"))
    worker(services, copy, "app")
    result = run_check(course, "split-tasks-registered")
    assert_fails_with(result, course, "unregistered")
    assert "include=['server']" in result.hint


def test_split_client_fails_without_its_worker(course, worker05):
    assert_fails_with(run_check(course, "split-client-output"), course, "no-result")


# --- inside-redis -------------------------------------------------------------------------------


def test_inside_redis_passes_once_slow_ran(course, services, redis_server):
    worker(services, paths.lesson_dir("08"), "inside")
    sent = subprocess.run([sys.executable, "send.py", "slow", "1"], cwd=paths.lesson_dir("08"), capture_output=True,
                          text=True, timeout=60, env=lessonapp.lesson_env(paths.lesson_dir("08"), "inside"))
    assert sent.returncode == 0, sent.stderr
    assert_passes(run_check(course, "inside-tasks-registered"))
    # the check looks once; the task takes a second
    result = poll(lambda: run_check(course, "inside-slow-result"), 30, done=lambda r: r.ok)
    assert_passes(result)
    assert "inside.slow SUCCESS, result 1" in result.detail


def test_inside_slow_result_fails_when_only_add_ran(course, services, redis_server):
    """The learner skipped section 6: a result of inside.add is there, none of inside.slow."""
    worker(services, paths.lesson_dir("08"), "inside")
    with lessonapp.lesson_app(paths.lesson_dir("08"), "inside") as app:
        assert app.send_task("inside.add", (4, 4)).get(timeout=30) == 8
    result = run_check(course, "inside-slow-result")
    assert_fails_with(result, course, "no-task-result")
    assert "1 × inside.add" in result.detail
    assert "python send.py slow 5" in result.hint


# --- task-states (lesson 09) ---------------------------------------------------------------------


def call09(task: str, *args):
    """Call one of lesson 09's tasks as watch.py does, and wait for its end (a failure is returned)."""
    with lessonapp.lesson_app(paths.lesson_dir("09"), "states") as app:
        return app.send_task(f"states.{task}", args).get(timeout=60, propagate=False)


def test_task_states_pass_once_divide_failed_and_flaky_retried(course, services, redis_server):
    worker(services, paths.lesson_dir("09"), "states")
    assert isinstance(call09("divide", 1, 0), ZeroDivisionError)
    assert call09("flaky", 1) == "succeeded after 1 failure(s)"
    for check_id in ("states-tasks-registered", "states-failure-stored", "states-retried"):
        assert_passes(run_check(course, check_id))
    assert "states.divide FAILURE, result ZeroDivisionError('division by zero')" in \
        run_check(course, "states-failure-stored").detail
    assert "states.flaky SUCCESS after 1 retries" in run_check(course, "states-retried").detail


def test_states_checks_fail_when_nothing_failed_or_retried(course, services, redis_server):
    """divide with a divisor that is not 0, flaky told to fail 0 times: both succeed at once."""
    worker(services, paths.lesson_dir("09"), "states")
    assert call09("divide", 4, 2) == 2.0 and call09("flaky", 0) == "succeeded after 0 failure(s)"
    failed = run_check(course, "states-failure-stored")
    assert_fails_with(failed, course, "no-failure-result")
    assert "1 × states.divide SUCCESS" in failed.detail and "python watch.py divide 1 0" in failed.hint
    retried = run_check(course, "states-retried")
    assert_fails_with(retried, course, "no-retry")
    assert "1 × states.flaky SUCCESS" in retried.detail and "python watch.py flaky 2" in retried.hint


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


# --- every later lesson: the previous lesson's worker left running -------------------------------


@pytest.mark.parametrize("check_id, previous, previous_app, missing", [
    ("inside-tasks-registered", "05", "server", "inside.add"),
    ("states-tasks-registered", "08", "inside", "states.divide"),
    ("canvas-tasks-registered", "09", "states", "flow.xsum"),
    ("timing-tasks-registered", "10", "flow", "timing.tick"),
    ("watched-tasks-registered", "11", "timing", "watched.gate"),
    ("reliable-tasks-registered", "12", "watched", "reliable.work"),
])
def test_tasks_fail_with_the_previous_lessons_worker(course, services, redis_server, check_id, previous, previous_app,
                                                     missing):
    """It listens on database 0 too, so it answers, but it knows its own lesson's tasks only."""
    worker(services, paths.lesson_dir(previous), previous_app)
    result = run_check(course, check_id)
    assert_fails_with(result, course, "unregistered")
    assert missing in result.detail and f"{previous_app}." in result.detail
    stage = next(s for s in course.stages if any(c.id == check_id for c in s.checks))
    app = next(c.params["app"] for c in stage.checks if c.id == check_id)
    assert f"-A {app}" in result.hint and f"lessons/{stage.lesson}" in result.hint


# --- the checker's command line -----------------------------------------------------------------


def checker(*args: str, port: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "CELERY_LAB_REDIS_PORT": str(port), "COLUMNS": "250"}
    return subprocess.run([sys.executable, "scripts/check.py", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_checker_table_shows_the_next_step(course, redis_server):
    proc = checker(port=redis_server.port)
    out = proc.stdout
    assert proc.returncode == 1
    on_this_path = [s for s in course.stages if checks.applies(s)]  # the VM's stage is marked "no VM" here
    assert f"3/{len(on_this_path)} reached" in out and "not reached" in out
    assert "next: Worker up" in out and "Run the worker" in out


def test_checker_stage_details_and_exit_codes(redis_server):
    ok = checker("redis-running", port=redis_server.port)
    assert ok.returncode == 0 and "Stage redis-running reached" in ok.stdout
    unknown = checker("no-such-stage", port=redis_server.port)
    assert unknown.returncode == 2 and "redis-built" in unknown.stdout
