"""The checks of lessons 16-18: lesson 16's hosts are there, Redis on the redis host speaks TLS only, its users
keep everyone but Celery out (and Celery within its rights); lesson 17's routed workers and lesson 18's Sentinels
and failover workers answer over TLS.

Every probe runs on the lesson's client host (on.sh, which asks sudo when you are not root), with the
lesson's own knock.py: nothing is ever dialled from this machine's own network.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .. import paths
from .base import Failed, Stage, check

NETNS = Path("/run/netns")


def _on_client(stage: Stage, *argv: str, timeout: float = 60) -> str:
    """Run argv on the client host, in the lesson's folder: its output (stdout and stderr)."""
    folder = paths.lesson_dir(stage.lesson)
    try:
        done = subprocess.run([str(folder / "on.sh"), "client", *argv], cwd=folder, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed("tls-redis-down", f"no answer in {timeout:.0f} s from the client host") from None
    return (done.stdout + done.stderr).strip()


def _knock(stage: Stage, *args: str) -> str:
    """knock.py on the client host: what answered, after its "->"."""
    out = _on_client(stage, sys.executable, "knock.py", *args)
    if " -> " not in out:
        raise Failed("no-hosts", f"knock.py did not run on the client host: {out[-300:]}")
    return out.rsplit(" -> ", 1)[1]


def _ask(stage: Stage, code: str, opening: str, failed: str):
    """Python `code` run on the client host, which prints a literal (a list or dict, starting with `opening`) last:
    that value; when it does not, the client could not log in (celery-refused), and `failed` says what it tried."""
    out = _on_client(stage, sys.executable, "-c", code)
    lines = out.splitlines()
    if not lines or not lines[-1].startswith(opening):
        raise Failed("celery-refused", f"{failed}: {out[-300:]}")
    return ast.literal_eval(lines[-1])


@check
def lesson_hosts(stage: Stage) -> str:
    names = subprocess.run(["bash", str(paths.lesson_dir(stage.lesson) / "hosts.sh"), "names"], capture_output=True,
                           text=True, check=True).stdout.split()
    missing = [name for name in names if not (NETNS / name).exists()]
    if missing:
        raise Failed("no-hosts", f"no network namespace {', '.join(missing)} (in {NETNS})")
    return f"{len(names)} namespaces: {', '.join(names)}"


@check
def redis_tls_only(stage: Stage) -> str:
    lesson_hosts(stage)
    answer = _knock(stage)
    if "certificate verify failed" in answer:
        raise Failed("ca-mismatch", f"over TLS, as celery: {answer}")
    if answer != "True":
        cause = "tls-redis-down" if ("Connection refused" in answer or "Error 111" in answer) else "celery-refused"
        raise Failed(cause, f"over TLS, as celery: {answer}")
    ports = {}
    for name in ("port", "tls-port"):  # what Redis says of itself, asked as admin over TLS
        reply = _knock(stage, "--user", "admin", "CONFIG", "GET", name)
        try:
            value = ast.literal_eval(reply)
            ports[name] = int(value[name] if isinstance(value, dict) else value[1])
        except (ValueError, SyntaxError, KeyError, IndexError, TypeError):
            raise Failed("celery-refused", f"CONFIG GET {name} as admin: {reply}") from None
    if ports["port"] != 0:
        raise Failed("plain-text-open", f"Redis also listens in plain text, on port {ports['port']}")
    return f"over TLS (port {ports['tls-port']}), as celery: PONG; no plain-text port"


@check
def celery_user_limited(stage: Stage) -> str:
    lesson_hosts(stage)
    anonymous = _knock(stage, "--user", "none")
    if not anonymous.startswith("refused: AuthenticationError"):
        raise Failed("default-user-open", f"without a user: {anonymous}")
    flushall = _knock(stage, "FLUSHALL")
    if not flushall.startswith("refused: NoPermissionError"):
        raise Failed("celery-user-unlimited", f"FLUSHALL as celery: {flushall}")
    return "without a user: refused; FLUSHALL as celery: refused (NOPERM)"


@check
def workers_on_hosts(stage: Stage, module: str, names: list[str], cause: str = "no-host-worker") -> str:
    """Workers of these names answer remote control from the client host, through `module`'s app (its own causes
    only: the generic worker hints say how to start a worker on this machine, not on a host); `cause` when not."""
    lesson_hosts(stage)
    code = f"from {module} import app; print(sorted(app.control.inspect(timeout=3).ping() or {{}}))"
    answered = _ask(stage, code, "[", "the client host could not ask")
    missing = [name for name in names if name not in answered]
    if missing:
        raise Failed(cause, f"no answer from {', '.join(missing)}; workers that answered: {answered}")
    return f"{', '.join(names)} answered over TLS, from the client host"


# Asked on the client host, with failover.py's own settings for the Sentinels (TLS, the user celery): which
# primary each Sentinel names for `master` (SENTINEL MASTERS: the one command of theirs the user celery may use).
_ASK_SENTINELS = """
from failover import SENTINELS, on_sentinel
from redis.sentinel import Sentinel
sentinel = Sentinel(SENTINELS, sentinel_kwargs={{**on_sentinel["sentinel_kwargs"], "socket_timeout": 3}})
seen = {{}}
for one in sentinel.sentinels:
    host = one.connection_pool.connection_kwargs["host"]
    try:
        state = one.sentinel_masters().get({master!r})
        seen[host] = f"{{state['ip']}}:{{state['port']}}" if state else "does not watch it"
    except Exception as exc:
        seen[host] = type(exc).__name__
print(seen)
"""


@check
def sentinels_agree(stage: Stage, master: str, sentinels: int) -> str:
    """`sentinels` Sentinels answer over TLS, as celery, and name one and the same primary for `master`."""
    lesson_hosts(stage)
    seen = _ask(stage, _ASK_SENTINELS.format(master=master), "{", "the client host could not ask the Sentinels")
    named = {host: answer for host, answer in seen.items() if ":" in answer}
    if len(named) < sentinels:
        said = ", ".join(f"{host}: {answer}" for host, answer in sorted(seen.items()))
        raise Failed("no-sentinel", f"{len(named)} of {sentinels} Sentinels name a primary for {master} ({said})")
    if len(set(named.values())) > 1:
        raise Failed("no-sentinel", f"the Sentinels disagree on the primary of {master}: {named}")
    return f"{sentinels} Sentinels agree: the primary of {master} is {next(iter(named.values()))}"
