"""Real terminals for the transcript runner: one tmux window per terminal a lesson names.

Each window runs an interactive bash, started as a learner's terminal starts (the login settings
of /etc/profile and ~/.bashrc), in the learner's home folder. Commands are typed into it with
tmux send-keys, keys pressed the same way (Ctrl-C), and what the terminal shows is read back with
capture-pane. Two small things are added for the runner's bookkeeping, invisible in the output it
compares: a numbered prompt (to find where a command's output begins and ends) and a status file
per terminal in which bash writes each command's exit status and folder.

Isolation (docs/transcripts.md):
- "netns": a private network, UTS, PID and mount namespace (as root, or as a user through a user
  namespace where the kernel allows it): port 6379 is the lessons' own, the host name is
  celery-lab, the lesson folders are a private copy on write (an overlay: what a lesson writes
  there goes with the namespace, so plays can run side by side), and when the runner ends — even
  by SIGKILL — the kernel ends every process in it.
- "plain": the machine's own network (inside the course's VM, whose Redis service the lessons use,
  or where no namespace can be made). The runner is then the subreaper of everything the
  terminals start and stops what is left by PID.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import libtmux

from . import normalize, paths
from .services import alive

WIDTH, HEIGHT = 120, 40
PROMPT = re.compile(r"⟦(?P<term>[\w-]+) (?P<n>\d+)⟧\$ ?")
CONTINUATION = "⟦…⟧> "
HOSTNAME = normalize.DISPLAY_HOST

RC = r"""# celery-lab transcript runner: a terminal as a learner opens one, plus the runner's bookkeeping.
if [ -r /etc/profile ]; then . /etc/profile; fi
if [ -r ~/.bashrc ]; then . ~/.bashrc; fi
unset HISTFILE PROMPT_COMMAND
__lab_n=0
__lab_status() {
  local s=$?
  printf '%s %s %s\n' "$__lab_n" "$s" "$PWD" >>"$LAB_STATUS"
  __lab_n=$((__lab_n + 1))
  PS1="⟦$LAB_TERM $__lab_n⟧\$ "
}
PROMPT_COMMAND=__lab_status
PS2="⟦…⟧> "
"""

TMUX_CONF = f"""set -g history-limit 500000
set -g default-size {WIDTH}x{HEIGHT}
set -g status off
set -g escape-time 0
"""


class TerminalError(RuntimeError):
    """A terminal did not do what the lesson expects; the message says which and where."""


@dataclass
class Running:
    command: str  # the command line as typed
    number: int  # its number in the terminal (the prompt's)


@dataclass
class Terminal:
    name: str
    pane: libtmux.Pane
    status_file: Path
    typed: int = 0  # commands typed so far
    running: Running | None = None
    mark: tuple[int, int] = (0, 0)  # output shown up to: (command number, line within its output)

    # --- the status file -------------------------------------------------------------------------

    def finished(self, number: int) -> int | None:
        """The exit status of command `number`, once it has finished (bash's line in the status file)."""
        if self.status_file.exists():
            for line in self.status_file.read_text().splitlines():
                n, status, _folder = line.split(" ", 2)
                if int(n) == number:
                    return int(status)
        return None

    # --- the screen ------------------------------------------------------------------------------

    def screen(self) -> list[str]:
        return self.pane.capture_pane(start="-", end="-", join_wrapped=True) or []

    def outputs(self) -> dict[int, list[str]]:
        """What each command printed, by its number: the lines between its prompt and the next one."""
        out: dict[int, list[str]] = {}
        current: list[str] | None = None
        continuing = False
        for line in self.screen():
            m = PROMPT.search(line)
            if m and m["term"] == self.name:
                if current is not None and m.start() > 0:
                    current.append(line[: m.start()])  # output without a final newline
                current = out.setdefault(int(m["n"]), [])
                continuing = line.rstrip().endswith("\\")
                continue
            if current is None:
                continue
            if continuing and line.startswith(CONTINUATION):
                continuing = line.rstrip().endswith("\\")
                continue
            continuing = False
            current.append(line.rstrip())
        for lines in out.values():
            while lines and not lines[-1]:
                lines.pop()
        return out

    def since_mark(self) -> tuple[list[str], list[tuple[int, int]]]:
        """Output after the mark, across commands; and for each line + 1, the mark that ends there."""
        outputs = self.outputs()
        n, offset = self.mark
        lines: list[str] = []
        ends = [self.mark]
        for k in sorted(k for k in outputs if n <= k <= self.typed):
            start = offset if k == n else 0
            for i, line in enumerate(outputs[k][start:], start):
                lines.append(line)
                ends.append((k, i + 1))
        return lines, ends


class Terminals:
    """The terminals of one play: a tmux server (in its namespaces, if any) and its windows."""

    def __init__(self, isolation: str, home: Path | None = None):
        self.isolation = isolation  # "netns" or "plain"
        self.tmp = Path(tempfile.mkdtemp(prefix="celery-lab-play-"))
        self.home = home or self._make_home()
        self.socket = self.tmp / "tmux.sock"
        self.rc = self.tmp / "bashrc"
        self.rc.write_text(RC)
        (self.tmp / "tmux.conf").write_text(TMUX_CONF)
        self.holder: subprocess.Popen | None = None
        self.server: libtmux.Server | None = None
        self.session: libtmux.Session | None = None
        self.terms: dict[str, Terminal] = {}

    def _make_home(self) -> Path:
        """The learner's home folder: empty, but for the clone at ~/celery-lab (a link to this one)."""
        home = self.tmp / "home"
        home.mkdir()
        (home / "celery-lab").symlink_to(paths.REPO)
        return home

    # --- start and stop --------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """A clean environment, as a new terminal starts with: nothing of the runner's leaks in."""
        user = pwd.getpwuid(os.geteuid()).pw_name
        sbin = "/usr/local/sbin:" if os.geteuid() == 0 else ""
        return {"HOME": str(self.home), "USER": user, "LOGNAME": user, "SHELL": "/bin/bash", "LANG": "C.UTF-8",
                "PATH": f"{sbin}/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

    def start(self) -> None:
        tmux = shutil.which("tmux")
        if not tmux:
            raise TerminalError("tmux is not installed: the runner types the lessons into tmux windows "
                                "(make deps installs it)")
        new_session = [tmux, "-u", "-S", str(self.socket), "-f", str(self.tmp / "tmux.conf"), "new-session", "-d",
                       "-s", "lab", "-x", str(WIDTH), "-y", str(HEIGHT), "-n", "runner", "sleep infinity"]
        if self.isolation == "netns":
            ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
            script = (f"{ip} link set lo up && hostname {HOSTNAME} && {private_lessons(self.tmp / 'lessons')} "
                      f"&& {PRIVATE_NETNS} && {shlex.join(new_session)} && exec sleep infinity")
            argv = ["unshare", *namespace_flags(), "--", "sh", "-c", script]
            self.holder = subprocess.Popen(argv, env=self.env(), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           start_new_session=True)
        else:
            _become_subreaper()
            subprocess.run(new_session, env=self.env(), check=True, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        self.server = libtmux.Server(socket_path=str(self.socket))
        while time.monotonic() < deadline:
            if self.holder is not None and self.holder.poll() is not None:
                out = self.holder.stdout.read().decode(errors="replace") if self.holder.stdout else ""
                raise TerminalError(f"could not make the private namespaces: {out.strip()}")
            if self.socket.exists() and self.server.has_session("lab"):
                self.session = self.server.sessions.get(session_name="lab")
                return
            time.sleep(0.05)
        raise TerminalError("the tmux server did not start")

    def terminal(self, name: str) -> Terminal:
        """The terminal `name`, opened on first use in the learner's home folder (as a new terminal is)."""
        if name in self.terms:
            return self.terms[name]
        assert self.session is not None
        status = self.tmp / f"status-{name}"
        window = self.session.new_window(window_name=name, start_directory=str(self.home), attach=False,
                                         window_shell=f"bash --rcfile {self.rc} -i",
                                         environment={"LAB_STATUS": str(status), "LAB_TERM": name})
        term = Terminal(name, window.active_pane, status)
        self.terms[name] = term
        if not poll(lambda: term.finished(0) is not None, 20):
            raise TerminalError(f"terminal {name} did not start its shell")
        term.mark = (1, 0)
        return term

    def stop(self) -> list[str]:
        """Stop what still runs, as a learner would (Ctrl-C), then the terminals; what was stopped."""
        stopped = []
        for term in self.terms.values():
            if term.running is None:
                continue
            for _ in range(2):
                term.pane.send_keys("C-c", enter=False)
                if poll(lambda t=term: t.finished(t.running.number), 20, done=lambda v: v is not None) is not None:
                    break
            stopped.append(f"stopped `{term.running.command}` in terminal {term.name} (Ctrl-C)")
            term.running = None
        if self.server is not None:
            try:
                self.server.kill()
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self.holder is not None:
            # the namespaces' first process: when it ends, the kernel ends everything inside
            os.killpg(self.holder.pid, signal.SIGKILL)
            self.holder.wait(timeout=30)
            stopped.append(f"ended the private namespaces (pid {self.holder.pid})")
        else:
            stopped.extend(_stop_descendants())
        shutil.rmtree(self.tmp, ignore_errors=True)
        return stopped

    # --- what the learner does -------------------------------------------------------------------

    def type(self, name: str, lines: list[str]) -> int:
        term = self.terminal(name)
        if term.running is not None:
            raise TerminalError(f"terminal {name} still runs `{term.running.command}`: a learner could not type "
                                "here (stop it first: press Ctrl-C in it)")
        for line in lines:
            term.pane.send_keys(line, enter=True, literal=True)
        term.typed += 1
        term.running = Running("\n".join(lines), term.typed)
        return term.typed

    def wait_done(self, name: str, number: int, timeout: float) -> int:
        """Wait for command `number` to finish; its exit status."""
        term = self.terms[name]
        status = poll(lambda: term.finished(number), timeout, done=lambda v: v is not None)
        if status is None:
            raise TerminalError(f"`{term.running.command}` in terminal {name} did not finish in {timeout:.0f} s")
        term.running = None
        return status

    def wait_ready(self, name: str, number: int, pattern: str, timeout: float) -> None:
        term = self.terms[name]
        regex = re.compile(pattern)

        def ready():
            if term.finished(number) is not None:
                return "exited"
            return "ready" if any(regex.search(line) for line in term.outputs().get(number, [])) else None

        state = poll(ready, timeout)
        command, tail = term.running.command, "\n".join(term.outputs().get(number, [])[-15:])
        if state == "exited":
            term.running = None
            raise TerminalError(f"`{command}` in terminal {name} was to keep running, but exited with status "
                                f"{term.finished(number)}:\n{tail}")
        if state is None:
            raise TerminalError(f"`{command}` in terminal {name} printed no line matching {pattern!r} in "
                                f"{timeout:.0f} s:\n{tail}")

    def press(self, name: str, key: str, timeout: float = 60) -> int:
        term = self.terminal(name)
        if term.running is None:
            raise TerminalError(f"nothing runs in terminal {name}: pressing {key} there stops nothing")
        number = term.running.number
        term.pane.send_keys(key, enter=False)
        status = poll(lambda: term.finished(number), timeout, done=lambda v: v is not None)
        if status is None:
            raise TerminalError(f"`{term.running.command}` in terminal {name} did not stop within {timeout:.0f} s "
                                f"of {key}")
        term.running = None
        return status

    def tails(self, n: int = 12) -> dict[str, list[str]]:
        """The last `n` non-empty lines of each terminal's screen, by name (what a failure report shows)."""
        out = {}
        for name, term in self.terms.items():
            try:
                lines = [line.rstrip() for line in term.screen() if line.strip()]
            except Exception:  # noqa: BLE001 - the tmux server is gone: nothing to show
                continue
            out[name] = lines[-n:]
        return out

    def running(self) -> dict[str, Running]:
        return {name: t.running for name, t in self.terms.items() if t.running is not None}


def private_lessons(where: Path) -> str:
    """Shell commands that give the namespace its own copy of the lesson folders, on write.

    An overlay over lessons/ (its writable layer on a tmpfs mounted at `where`, in the private mount
    namespace): what a lesson writes into its folder (lesson 03's dump.rdb, beat's schedule file) is
    its own and goes with the namespace, so plays can run side by side and leave the clone as it was.
    """
    lessons = shlex.quote(str(paths.REPO / "lessons"))
    w = shlex.quote(str(where))
    return (f"mkdir -p {w} && mount -t tmpfs celery-lab-lessons {w} && mkdir {w}/upper {w}/work "
            f"&& mount -t overlay celery-lab-lessons -o lowerdir={lessons},upperdir={w}/upper,workdir={w}/work "
            f"{lessons}")


# Lesson 16's hosts are network namespaces named in /run/netns (ip netns add): the namespace gets a /run/netns of
# its own (a tmpfs), so that the lesson's cl-* are neither a learner's own nor those of a play beside it. Where this
# machine has no /run/netns, the namespace gets a /run of its own first (nothing the lessons use lives there)
# rather than make one on the machine: a normal user (root of a user namespace) may not, and root would leave it
# behind. Should none of it work, the other lessons play on.
PRIVATE_NETNS = ("{ { [ -d /run/netns ] || mount -t tmpfs celery-lab-run /run; } "
                 "&& mkdir -p /run/netns && mount -t tmpfs celery-lab-netns /run/netns; } 2>/dev/null || true")


def namespace_flags() -> list[str]:
    flags = ["--net", "--uts", "--pid", "--mount", "--fork", "--mount-proc", "--kill-child"]
    return flags if os.geteuid() == 0 else ["--user", "--map-root-user", *flags]


def can_isolate() -> tuple[bool, str]:
    """Can this machine give the lessons a private network namespace? (and why not)"""
    if not shutil.which("unshare"):
        return False, "no unshare command"
    where = Path(tempfile.mkdtemp(prefix="celery-lab-probe-"))
    try:
        probe = subprocess.run(["unshare", *namespace_flags(), "--", "sh", "-c", private_lessons(where)],
                               capture_output=True, text=True)
    finally:
        where.rmdir()
    if probe.returncode != 0:
        return False, (probe.stderr.strip() or f"unshare exited {probe.returncode}")
    return True, "root" if os.geteuid() == 0 else "a user namespace"


def poll(fn, timeout: float, interval: float = 0.1, done=bool):
    """Call fn until done(its value), or the time is up; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    """Orphans of what the terminals start (tmux's server, a daemonized process) become our children."""
    _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1)


def _children(pid: int) -> list[int]:
    """pid's children now; none once it has ended (it may end while we look)."""
    out = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # ended between our listing it and looking below it
        return out
    for task in tasks:
        try:
            out.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def _stop_descendants() -> list[str]:
    """Every process below this one, by PID: SIGTERM, then SIGKILL for what lingers."""
    stopped = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pending = [os.getpid()]
        found = []
        while pending:
            kids = _children(pending.pop())
            found.extend(kids)
            pending.extend(kids)
        found = [pid for pid in found if alive(pid)]  # an ended child waits only to be reaped
        signalled = []
        for pid in found:
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
                os.kill(pid, sig)
                signalled.append(f"{pid} {comm}")
            except (ProcessLookupError, FileNotFoundError):
                pass
        if signalled:  # one line: a failure report printed after it stays near the end of a long log
            stopped.append(f"stopped with {sig.name}: " + ", ".join(signalled))
        deadline = time.monotonic() + 10
        while found and time.monotonic() < deadline:
            found = [p for p in found if alive(p)]
            if found:
                try:
                    os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.1)
        if not found:
            break
    return stopped


