"""Unit tests of the pure functions behind the checker (no processes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from courselab.checks import exposure
from courselab.lessonapp import with_port


def test_with_port_keeps_host_database_and_credentials():
    assert with_port("redis://localhost:6379/0", 16000) == "redis://localhost:16000/0"
    assert with_port("redis://127.0.0.1:6379/1", 16000) == "redis://127.0.0.1:16000/1"
    assert with_port("redis://:secret@localhost:6379/2", 7000) == "redis://:secret@localhost:7000/2"
    assert with_port("redis://localhost/0", 7000) == "redis://localhost:7000/0"


def test_exposure_of_redis_settings():
    assert exposure(["127.0.0.1", "-::1"], "yes") == []
    assert exposure(["127.0.0.1"], "no") == ["protected-mode no"]
    assert exposure(["0.0.0.0"], "yes") == ["bind 0.0.0.0"]
    assert exposure(["*", "-::*"], "yes") == ["bind *", "bind -::*"]
    assert exposure([], "yes") == ["no bind (all interfaces)"]


def test_causes_are_recognised_from_error_text(course):
    match = course.match_cause
    assert match("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.").id \
        == "redis-down"
    assert match("Error: Unable to load celery application.\nThe module server was not found.").id \
        == "wrong-directory"
    assert match("NotImplementedError: No result backend is configured.").id == "no-backend"
    assert match("celery.exceptions.TimeoutError: The operation timed out.").id == "no-result"
    assert match("Cannot mix new and old setting keys, please rename").id == "mixed-names"
    assert match("-DENIED Redis is running in protected mode because protected mode is enabled").id \
        == "protected-mode"
    assert match("celery.exceptions.NotRegistered: 'states.multiply'").id == "unregistered"
    assert match("kombu.exceptions.EncodeError: Object of type set is not JSON serializable").id == "encode-error"
    assert match("RuntimeError('Never call result.get() within a task!\\nSee https://docs").id == "sync-subtask"
    # a Windows worker's prefork pool (Celery's issue #4178): lesson 05 says what to do, the course cannot show it
    windows = match("  File \"C:\\Python312\\Lib\\site-packages\\celery\\app\\trace.py\", line 640\n"
                    "    tasks, accept, hostname = _loc\nValueError: not enough values to unpack (expected 3, got 0)")
    assert windows.id == "windows-prefork" and "--pool=solo" in windows.hint
    assert windows.lesson == "05-single-module-app"
    assert match("something else entirely") is None


def test_a_stored_exception_is_shown_as_raised():
    from courselab.checks.backend import shown

    assert shown({"exc_type": "ZeroDivisionError", "exc_message": ["division by zero"], "exc_module": "builtins"}) \
        == "ZeroDivisionError('division by zero')"
    assert shown({"done": 3}) == "{'done': 3}" and shown(8) == "8"


def test_redis_locations_follow_the_build_scripts_variables(monkeypatch):
    from courselab import paths

    monkeypatch.delenv("REDIS_WORKDIR", raising=False)
    monkeypatch.delenv("CELERY_LAB_REDIS_PREFIX", raising=False)
    version = paths.default_redis_version()
    assert paths.redis_workdir() == paths.REPO / ".redis"
    assert paths.redis_prefix() == paths.REPO / ".redis" / f"redis-{version}"
    # the VM: installed into /usr/local from the verified tarball kept under /var/cache (scripts/vm/)
    monkeypatch.setenv("REDIS_WORKDIR", "/var/cache/celery-lab/redis")
    monkeypatch.setenv("CELERY_LAB_REDIS_PREFIX", "/usr/local")
    assert paths.redis_workdir() == Path("/var/cache/celery-lab/redis")
    assert paths.redis_bin("redis-cli") == Path("/usr/local/bin/redis-cli")


# --- the transcript runner's pure parts: reading lesson text, normalising output ------------------

LESSON_TEXT = '''# x

```bash term=main path=host
cd ~/celery-lab   # a trailing comment is typed
# a whole-line comment is not
./runtest --single a \\
  --single b
```

```text term=main excerpt
PONG
```

```keys term=redis
Ctrl-C
```

```bash play=no why="needs the internet"
curl https://example.com
```

```python file=server.py
print(1)
```
'''


def test_lesson_blocks_and_their_kinds():
    from courselab.lessontext import blocks

    found = blocks(LESSON_TEXT, "99-x")
    assert [b.kind for b in found] == ["command", "output", "keys", "static", "file"]
    command, output, keys = found[:3]
    assert command.line == 3 and command.where == "lessons/99-x/README.md:3"
    assert command.commands() == [["cd ~/celery-lab   # a trailing comment is typed"],
                                  ["./runtest --single a \\", "  --single b"]]
    assert command.on("host") and not command.on("vm") and output.on("vm")
    assert "excerpt" in output.attrs and output.lines() == ["PONG"]
    assert keys.key() == "C-c"


def test_lesson_text_errors_name_the_line():
    import pytest
    from courselab.lessontext import LessonTextError, blocks

    for bad, message in [("```bash play=no\nx\n```\n", "says why"),
                         ("```bash term=main path=mars\nx\n```\n", "path=mars"),
                         ("```keys term=main\nCtrl-Z\n```\n", "Ctrl-Z"),
                         ("```keys\nCtrl-C\n```\n", "names its terminal"),
                         ("```bash term=main\nmake \\\n```\n", "backslash")]:
        with pytest.raises(LessonTextError, match=message) as error:
            blocks("# t\n\n" + bad, "99-x")
        assert "lessons/99-x/README.md:3" in str(error.value)


def test_rewrite_replaces_only_the_named_blocks():
    from courselab.lessontext import rewrite

    text = rewrite(LESSON_TEXT, {10: "PONG\nPONG\n"})
    assert "```text term=main excerpt\nPONG\nPONG\n```" in text
    assert text.replace("PONG\nPONG\n", "PONG\n") == LESSON_TEXT


def test_masks_hide_what_changes_between_runs():
    from courselab.normalize import mask_line

    assert mask_line("12:M 25 Nov 2026 18:33:48.773 * Ready to accept connections") == \
        mask_line("4711:M 01 Jan 2027 00:00:00.001 * Ready to accept connections")
    assert mask_line("[2026-11-25 18:48:45,316: INFO/MainProcess] Task server.add[6e73db12-6574-42bb-8cbb-27e5f337dd86]"
                     " received") == "[<time>: INFO/MainProcess] Task server.add[<id>] received"
    assert mask_line("app: server:0x7fa861514250 succeeded in 0.0061374889996841375s") == \
        "app: server:0x<addr> succeeded in <fraction>s"
    assert mask_line("┏━━━━┳━━━┓") == "┏━┳━┓" and mask_line("│ a   │ b │") == "│ a │ b │"
    assert mask_line("task done: 8") == "task done: 8"  # what a lesson shows stays compared
    assert mask_line("1.0× PING 0.16 ms", numbers=True) == "<n>× PING <n> ms"
    # the ladder's readings move with its figures: masked alike in a `numbers` block, compared elsewhere
    assert mask_line("2 x: 1.45 (1.33–1.54)× rung 1, faster in every round; get() p50 0.98×, within the noise",
                     numbers=True) == "<n> x: <n> (<n>–<n>)× rung <n>, <reading>; get() p<n> <n>×, <reading>"
    assert mask_line("within the noise") == "within the noise"
    assert mask_line("make: *** [Makefile:38: check] Error 1") == mask_line("make: *** [Makefile:41: check] Error 1")
    assert mask_line("3 passed, 2 xfailed in 10.62s") == "3 passed, 2 xfailed in <seconds>"  # pytest's summary
    assert mask_line("= 1 failed in 65.20s (0:01:05) =") == "= 1 failed in <seconds> ="
    assert mask_line("3 passed, 2 xfailed") == "3 passed, 2 xfailed"  # the counts stay compared
    assert mask_line("{'id': 'x', 'worker_pid': 22}") == "{'id': 'x', 'worker_pid': <pid>}"
    assert mask_line("[2026-12-07 04:27:39 +0000] [8890] [INFO] Listening at: http://127.0.0.1:8000 (8890)") == \
        "[<time> +0000] [<pid>] [INFO] Listening at: http://127.0.0.1:8000 (<pid>)"  # gunicorn's log (lesson 20)
    assert mask_line("Dec 07 08:31:02 celery-lab celery[2211]: worker: Warm shutdown (MainProcess)") == \
        "<time> celery-lab celery[<pid>]: worker: Warm shutdown (MainProcess)"  # the journal's (lesson 21)
    assert mask_line("[I 261126 04:43:31 command:177] Visit me at http://127.0.0.1:5555") == \
        "[I <time> command:177] Visit me at http://127.0.0.1:5555"
    # lesson 16: Redis's TLS handshake error, logged with or without the connection's fd; Python's ssl line
    error = "125:M 26 Nov 2026 20:58:47.984 # Error accepting a client connection: error:0A00010B:SSL routines::wrong"
    assert mask_line(error + " version number (conn: fd=7)") == mask_line(error + " version number")
    assert mask_line("certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006).") == \
        "certificate verify failed: self-signed certificate in certificate chain (_ssl.c:<line>)."


def test_flower_check_reads_the_kernels_socket_tables(tmp_path):
    """/proc/net/tcp{,6} as the kernel writes them: addresses in 32-bit words of host (little-endian) order."""
    from courselab.checks.monitor import listening

    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    tcp = tmp_path / "tcp"
    tcp.write_text(header
                   + "   0: 0100007F:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n"
                   + "   1: 00000000:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 2 1\n"
                   + "   2: 0100007F:15B3 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 0 0 3 1\n"
                   + "   3: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 4 1\n")
    tcp6 = tmp_path / "tcp6"
    tcp6.write_text(header + "   0: 00000000000000000000000001000000:15B3 00000000000000000000000000000000:0000 0A "
                             "00000000:00000000 00:00000000 00000000 0 0 5 1\n")
    # port 5555 (15B3): 127.0.0.1 and 0.0.0.0 listening (the established connection is not), ::1 in tcp6
    assert listening(5555, (str(tcp), str(tcp6), str(tmp_path / "absent"))) == ["127.0.0.1", "0.0.0.0", "::1"]
    assert listening(6379, (str(tcp),)) == ["127.0.0.1"] and listening(80, (str(tcp),)) == []


def test_excerpts_and_running_output():
    from courselab.normalize import Rules, bless, consumed, matches

    whole, excerpt = Rules(), Rules.of({"excerpt": ""})
    real = ["noise", "12:M 25 Nov 2026 18:33:48.773 * Ready to accept connections", "more"]
    shown = ["99:M 24 Nov 2026 10:00:00.000 * Ready to accept connections"]
    assert matches(shown, real, excerpt) and not matches(shown, real, whole)
    assert not matches(["Ready to accept connections"], real, excerpt)  # whole lines, not substrings
    assert consumed(shown, real, excerpt) == 2 and consumed(["never"], real, excerpt) is None
    assert consumed(["a", "b"], ["", "a", "b", "c"], whole) == 3 and consumed(["a", "c"], ["a", "b"], whole) is None
    assert bless(shown, real, excerpt) == [real[1]] and bless(shown, real, whole) == real
    assert bless(["12:M 25 Nov 2026 18:33:48.773 * Ready to accept connexions"], real, excerpt) == [real[1]]
    assert bless(["something else entirely"], real, excerpt) is None


def test_unordered_excerpts_take_concurrent_logs_in_any_order():
    from courselab.normalize import Rules, bless, consumed, matches

    unordered = Rules.of({"unordered": ""})
    log = ["Task add received", "Task sendmail received", "Task add succeeded", "mail send."]
    shown = ["Task add received", "Task add succeeded", "Task sendmail received"]
    assert matches(shown, log, unordered) and not matches(shown, log, Rules.of({"excerpt": ""}))
    assert consumed(shown, log, unordered) == 3  # up to the last line it needed
    assert bless(shown, log, unordered) == shown
    assert not matches(shown + ["Task add received"], log, unordered)  # each real line stands for one shown


def test_display_shows_the_learners_folders():
    from courselab.normalize import display

    text = display("/work/main/lessons and /tmp/p/home/redis-src on celery@box",
                   [("/work/main", "/home/learner/celery-lab"), ("/tmp/p/home", "/home/learner"),
                    ("@box", "@celery-lab")])
    assert text == "/home/learner/celery-lab/lessons and /home/learner/redis-src on celery@celery-lab"


def test_outputs_blessed_elsewhere_are_adopted_block_by_block():
    import pytest
    from courselab.lessontext import LessonTextError, adopt_outputs

    blessed = LESSON_TEXT.replace("PONG\n", "PONG from the VM\n").replace("# x", "# x, other prose")
    assert adopt_outputs(LESSON_TEXT, blessed, "99-x") == LESSON_TEXT  # a block of both paths stays the host's
    text = LESSON_TEXT.replace("```text term=main excerpt", "```text term=main excerpt path=vm")
    adopted = adopt_outputs(text, blessed.replace("```text term=main excerpt", "```text term=main excerpt path=vm"),
                            "99-x")
    assert "PONG from the VM" in adopted and adopted.startswith("# x\n")  # outputs theirs, prose ours
    with pytest.raises(LessonTextError, match="other blocks"):
        adopt_outputs(LESSON_TEXT, blessed.replace("```keys term=redis", "```keys term=worker"), "99-x")


def test_the_checkers_tables_show_details_as_text_not_markup(course):
    """A task id in brackets (`watched.add[ab12...]`) or a rate limit (`name [rate_limit=10/m]`) is shown as it is:
    rich would take `[ab12...]` for a style tag and drop it."""
    from courselab import ui
    from courselab.checks import Result
    from rich.console import Console

    stage = course.stage("monitoring")
    detail = "Flower saw watched.add[ab12cd34-0000-4000-8000-000000000000] succeed; [bold]x[/] add [rate_limit=]"
    results = [Result(stage.checks[0], False, detail, hint="see [this]", where="lessons/12-monitoring/README.md")]
    console = Console(record=True, width=300)
    console.print(ui.stage_details(stage, results))
    console.print(ui.failure_panel(stage, results[0]))
    text = console.export_text()
    assert text.count(detail) == 2 and "see [this]" in text


def test_a_profile_is_summed_into_named_shares():
    from courselab import profiling

    socket = "<method 'recv_into' of '_socket.socket' objects>"
    stats = {  # pstats' raw table: (file, line, name) -> (primitive calls, calls, self s, cumulative s, callers)
        ("~", 0, socket): (300, 300, 0.6, 0.6, {}),
        ("~", 0, "<method 'poll' of 'select.epoll' objects>"): (3, 3, 0.2, 0.2, {}),
        ("/v/site-packages/redis/connection.py", 1, "send_packed_command"): (305, 305, 0.1, 0.7, {}),
        ("/repo/lessons/15-performance/perf.py", 17, "tick"): (300, 300, 0.05, 0.8, {}),
        ("/v/site-packages/kombu/transport/redis.py", 9, "_brpop_read"): (3, 3, 0.03, 0.1, {}),
        ("/usr/lib/python3.11/json/decoder.py", 1, "decode"): (3, 3, 0.02, 0.02, {}),
    }
    got = profiling.shares(stats)
    assert list(got)[-1] == profiling.OTHER and len(got) == len(profiling.SHARES) + 1
    assert abs(sum(got.values()) - 1) < 1e-9
    assert round(got["waiting on a Redis reply (socket reads)"], 3) == 0.6
    assert round(got["waiting for something to read (poll, select)"], 3) == 0.2
    assert round(got["redis-py (commands, replies)"], 3) == 0.1
    assert round(got["the task's own code"], 3) == 0.05
    assert round(got["kombu (messages, transport)"], 3) == 0.03 and round(got["JSON"], 3) == 0.02
    assert got["celery (worker, tracing, canvas)"] == 0 and got[profiling.OTHER] == 0
    assert profiling.calls(stats, "/perf.py", "tick") == 300
    assert profiling.calls(stats, "/redis/connection.py", "send_packed_command") == 305
    assert profiling.calls(stats, "/perf.py", "tock") == 0
    assert profiling.shares({}) == {k: 0.0 for k in got}


def test_the_hiredis_rung_names_what_is_missing(monkeypatch):
    from courselab import ladder
    from courselab.services import ServiceError

    top = next(x for x in ladder.rungs(100) if x.hiredis)
    monkeypatch.setattr(ladder, "HIREDIS", ladder.paths.REPO / ".venv" / "no-hiredis-here")
    with pytest.raises(ServiceError, match=r"not installed in \.venv/no-hiredis-here: run `make venv`"):
        ladder.rung_env(top, {})
    assert ladder.rung_env(ladder.rungs(100)[0], {"A": "1"}) == {"A": "1"}  # the rungs before it: untouched


def test_a_lesson_that_takes_root_is_left_out_only_where_nothing_gives_root():
    from courselab.world import without_root

    lesson = "16-several-hosts"
    # root, sudo without a password, or the private namespace (whose user is root): played
    assert without_root(lesson, "netns", 1000, None, False, "") == ""
    assert without_root(lesson, "plain", 0, None, False, "") == ""
    assert without_root(lesson, "plain", 1000, "/usr/bin/sudo", True, "") == ""
    # the course's container: a normal user, no sudo, no namespace of its own
    why = without_root(lesson, "plain", 1000, None, False, "unshare: mount /proc failed: Operation not permitted")
    assert why.startswith("16-several-hosts makes network namespaces, which take root: here you are not root, "
                          "there is no sudo, and no private namespace can be made (unshare: mount /proc failed")
    assert why.endswith("lessons/16-several-hosts/README.md, 'Where' and 'Root'")
    assert "sudo asks for a password" in without_root(lesson, "plain", 1000, "/usr/bin/sudo", False, "")


def test_a_process_that_ends_while_the_terminals_stop_has_no_children():
    """The tour stops what the terminals started by walking /proc, where a process may end mid-walk.

    Seen once in CI: /proc/PID/task vanished between pathlib's is_dir and its scandir. That window is too
    short to hit on purpose; this holds the contract the fix gives: an ended process has no children.
    """
    import subprocess

    from courselab.terminals import _children

    proc = subprocess.Popen(["sleep", "30"])
    try:
        assert _children(os.getpid()).count(proc.pid) == 1
    finally:
        proc.kill()
        proc.wait()
    assert not Path(f"/proc/{proc.pid}").exists()
    assert _children(proc.pid) == []


def test_the_step_paths_words_leave_out_code_and_asides():
    from courselab import step_path

    text = ("# 03 · A lesson\n\nOne two three.\n\n## 1. Start\n\nFour five.\n\n```bash term=main\nredis-server\n"
            "## not a heading\n```\n\n<details><summary>Why six</summary>\n\nseven eight nine ten\n\n</details>\n\n"
            "## 2. Stop\n\n```python file=server.py\nx = 1\n```\n\nEleven.\n")
    m = step_path.measure(text, "03-a-lesson")
    assert [(s.title, s.words, s.commands) for s in m.sections] == [
        ("(before the first section)", 6, 0), ("1. Start", 4, 1), ("2. Stop", 3, 0)]
    assert m.aside_words == 6 and m.words == 13 and m.commands == 1  # a listing (file=) is not a command
    assert step_path.over(m) == []
