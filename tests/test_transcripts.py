"""The lessons as a learner types them: every lesson played from its README, in real terminals.

Each lesson is played on its own (its setup blocks bring up what earlier lessons leave running) in
fresh private namespaces, so each gets a fresh Redis on 6379. Then the runner is shown to fail: a
changed command, a changed output and a missing stop are each caught, naming the README line.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO
from courselab import lessontext, paths
from courselab.transcript import lessons

LESSONS = lessons()
# Each play runs in private namespaces: its own 6379 and its own copy of the lesson folders (lesson 03's
# dump.rdb, beat's schedule file), so pytest-xdist runs the plays side by side (conftest.py: PlaysApart).
# Lesson 02 (Redis fetched, verified, built and tested by hand: 130-160 s here) and lesson 15 (make bench and
# make bench-peers in full: 180 s on a quiet machine, 225 s within make test, and the heaviest load of all) are
# played as written by make test-container, as its normal user, and by make tour; make test leaves them out to
# keep its ten minutes (docs/maintaining.md, "What each suite proves"). It runs both lessons' notebooks, and
# lesson 15's stage checks on figures files.
ELSEWHERE = {"02-build-redis", "15-performance"}


def play(*args: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    for var in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_LAB_REDIS_PORT"):
        env.pop(var, None)
    return subprocess.run([sys.executable, "scripts/play.py", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def holders(out: str) -> list[int]:
    return [int(p) for p in re.findall(r"namespaces held by pid (\d+)", out)]


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except FileNotFoundError:
        return True
    return state == "Z"


def assert_nothing_left(out: str) -> None:
    """The namespaces' first process is gone: the kernel has ended every process inside with it."""
    pids = holders(out)
    assert pids, out[-2000:]
    assert all(gone(p) for p in pids), f"namespaces still held: {pids}"


@pytest.mark.parametrize("lesson", [p for p in LESSONS if p.name not in ELSEWHERE], ids=lambda p: p.name)
def test_lesson_plays_as_written(lesson):
    assert_plays_as_written(lesson)


def assert_plays_as_written(lesson: Path) -> None:
    proc = play(lesson.name[:2])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert f"✓ {lesson.name}: played as written" in out
    assert_nothing_left(out)


# --- the runner catches what drifts -------------------------------------------------------------

LESSON_03 = paths.lesson_dir("03")


def edited_03(tmp_path: Path, old: str, new: str) -> Path:
    text = (LESSON_03 / "README.md").read_text()
    assert old in text
    readme = tmp_path / "README.md"
    readme.write_text(text.replace(old, new, 1))
    return readme


def fails(readme: Path) -> str:
    """Play lesson 03 from an edited README: it must fail, and leave nothing running. Its output."""
    proc = play("--readme", str(readme), "03")
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert_nothing_left(proc.stdout)
    return proc.stdout


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_changed_command_is_caught(tmp_path):
    readme = edited_03(tmp_path, "redis-cli set a 123\nredis-cli get a\n", "redis-cli set a 123\nredis-cli get b\n")
    out = fails(readme)
    # the output block after the changed command names its line, and the diff shows what really came
    shown = line_of(readme.read_text(), 'PONG\nOK\n"123"') - 1
    assert f"lessons/03-run-redis/README.md:{shown}: the lesson shows what terminal main printed" in out
    assert '-"123"' in out and "+(nil)" in out


def test_a_changed_output_is_caught(tmp_path):
    out = fails(edited_03(tmp_path, 'PONG\nOK\n"123"\n', 'PONG\nOK\n"124"\n'))
    assert '-"124"' in out and '+"123"' in out


def test_a_missing_stop_is_caught(tmp_path):
    # section 4 without its Ctrl-C (and the shutdown log it shows): the server still runs when the
    # lesson starts it again
    text = (LESSON_03 / "README.md").read_text()
    start = text.index("```keys term=redis path=host\nCtrl-C")
    end = text.index("```\n", text.index("```text term=redis path=host excerpt", start) + 3) + 4
    out = fails(edited_03(tmp_path, text[start:end], ""))
    assert "terminal redis still runs `redis-server redis.conf`" in out and "press Ctrl-C in it" in out


def test_a_command_said_to_end_by_itself_that_does_not_is_caught(tmp_path):
    # an output block marked `ends` (lesson 12's worker after `celery control shutdown`), here after a
    # Redis that nothing stops: the runner waits for it to end, and says it did not
    text = (LESSON_03 / "README.md").read_text()
    start = text.index("```text term=redis path=host excerpt")
    marked = text[start:].replace("```text term=redis path=host excerpt", "```text term=redis path=host excerpt ends "
                                  "timeout=3", 1)
    out = fails(edited_03(tmp_path, text[start:], marked))
    assert "did not finish in 3 s (the lesson says it ends here)" in out


def test_an_excerpt_ends_at_its_last_line_and_the_next_block_shows_what_followed(tmp_path):
    # lesson 15's make bench-peers: its figures as a masked excerpt, then its kill -9 table compared as printed
    readme = edited_03(tmp_path, "## Verification", "```bash term=main\nprintf 'a\\nb 1\\nc\\n'\n```\n\n"
                       "```text term=main excerpt numbers\nb 2\n```\n\n```text term=main\nc\n```\n\n## Verification")
    proc = play("--readme", str(readme), "03")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert_nothing_left(proc.stdout)


def test_a_failed_lesson_runs_its_cleanup_blocks(tmp_path):
    # lesson 21 removes its services in a `cleanup` block: a lesson that fails before it still runs it, once
    marker = tmp_path / "cleaned"
    out = fails(edited_03(tmp_path, "## Verification", f"```bash term=main\nfalse\n```\n\n"
                          f"```bash term=main cleanup\necho removed >> {marker}\n```\n\n## Verification"))
    assert "exited with status 1 (the lesson expects 0)" in out
    assert marker.read_text() == "removed\n" and "its clean-up" in out


def test_a_lesson_that_leaves_something_running_is_caught(tmp_path):
    # a second server started at the end and never stopped: lesson 04 does not expect it
    extra = "~/celery-lab/.redis/redis-7.0.15/bin/redis-server --port 6390 --save ''"
    out = fails(edited_03(tmp_path, "## Verification",
                          f"```bash term=extra ready=\"Ready to accept\"\n{extra}\n```\n\n## Verification"))
    assert "ends with `~/celery-lab/.redis/redis-7.0.15/bin/redis-server --port 6390 --save ''` still running in " \
        "terminal extra" in out
    assert "lesson 04 expects" in out


def test_a_taken_6379_does_not_disturb_the_lessons():
    import socket

    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", paths.DEFAULT_PORT))
        except OSError:
            pytest.skip("6379 is already taken on this machine, which is just as good")
        taken.listen()
        proc = play("03")
        out = proc.stdout
        assert proc.returncode == 0, out[-3000:]
        assert "private network namespace" in out
        # and without a namespace, the runner refuses clearly instead of touching this machine's 6379
        refused = play("03", env={"CELERY_LAB_PLAY_ISOLATION": "plain"})
    assert refused.returncode == 1
    assert "The lessons use port 6379, which is taken on this machine" in refused.stdout


# --- the lesson text itself -------------------------------------------------------------------------


def all_blocks() -> list[lessontext.Block]:
    return [b for lesson in LESSONS for b in lessontext.read(lesson)]


def test_every_shell_block_is_played_or_says_why():
    for block in all_blocks():
        if block.lang in lessontext.SHELLS:
            # played, or a listing of a script in the lesson's folder (checked by test_lessons.py), or says why not
            assert block.kind in ("command", "file") or block.attrs.get("why"), f"{block.where}: no term= and no why="
        if block.lang in lessontext.OUTPUTS:
            assert block.kind == "output", f"{block.where}: an output block names its terminal (term=...)"


def test_setup_blocks_repeat_the_block_that_first_started_it():
    """A lesson's setup block is what an earlier lesson typed (so it works): one that starts something (ready=) ends
    with the command an earlier lesson started it with; one that only prepares (lesson 16's hosts, for 17 and 18)
    types only commands an earlier lesson typed in that terminal."""
    blocks = all_blocks()
    started = [b for b in blocks if b.kind == "command" and not b.setup and "ready" in b.attrs]
    for block in (b for b in blocks if b.setup):
        if "ready" not in block.attrs:
            typed = {tuple(c) for b in blocks if b.kind == "command" and not b.setup and b.lesson < block.lesson
                     and b.term == block.term and b.path in (None, block.path) for c in b.commands()}
            missing = [c for c in block.commands() if tuple(c) not in typed]
            assert not missing, f"{block.where}: no earlier lesson types {missing} in terminal {block.term}"
            continue
        earlier = [b for b in started if b.lesson < block.lesson and b.term == block.term
                   and b.commands()[-1] == block.commands()[-1] and b.path in (None, block.path)]
        assert earlier, f"{block.where}: no earlier lesson starts `{block.commands()[-1]}` in terminal {block.term}"


def test_lesson_02_runs_the_build_scripts_test_subset():
    script = (REPO / "scripts/build-redis.sh").read_text()
    subset = re.search(r"FAST_TESTS=\(([^)]*)\)", script)[1].split()
    clients = re.search(r"TEST_CLIENTS=(\d+)", script)[1]
    runtest = next(b for b in lessontext.read(paths.lesson_dir("02")) if "./runtest" in b.body)
    words = " ".join(runtest.commands()[0]).replace("\\", " ").split()
    assert words[words.index("--clients") + 1] == clients
    assert [words[i + 1] for i, w in enumerate(words) if w == "--single"] == subset


def test_without_a_namespace_the_lessons_use_this_machines_free_6379_and_stop_all_of_it():
    from courselab.services import port_free

    if not port_free(paths.DEFAULT_PORT):
        pytest.skip("6379 is taken on this machine: the case above")
    proc = play("04", env={"CELERY_LAB_PLAY_ISOLATION": "plain"})
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:]
    assert "on this machine's own loopback" in out and "port 6379 is free" in out
    assert "stopped `redis-server redis.conf` in terminal redis (Ctrl-C)" in out
    assert port_free(paths.DEFAULT_PORT), "the lesson's redis-server still listens"


# --- make tour: lessons played in order in the same terminals, stopped on Ctrl-C, clear on failure ---------


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


def test_skip_leaves_a_lesson_out_saying_so():
    # make tour ARGS="--skip NN": a tour without a lesson, which says it left it out
    proc = subprocess.run([sys.executable, "scripts/tour.py", "--from", "04", "--to", "04", "--skip", "04"],
                          cwd=REPO, env=tour_env(), capture_output=True, text=True, timeout=120)
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:]
    assert "Every other lesson played as written." in out
    assert "04-python-deps: left out by --skip." in out
    assert "$ " not in out, "nothing typed: the only lesson chosen was left out"
    assert_nothing_left(out)
    bad = subprocess.run([sys.executable, "scripts/tour.py", "--skip", "99"], cwd=REPO, env=tour_env(),
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--skip: no lesson 99 (the lessons are 00 to " in bad.stderr


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
    assert re.search(r"│ +2 │ Redis built from source +│ 02-build-redis +│ +✗", table), table
    assert "There is no Redis under .redis/redis-7.0.15/bin" in table
    assert_nothing_left(out)
