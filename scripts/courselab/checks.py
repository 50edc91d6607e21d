"""The stage checks. stages.toml names them (`fn`) and gives their parameters.

A check returns a short description of what it saw, or raises Failed naming a cause from
stages.toml. Any other exception is matched against the causes' patterns, so a refused
connection reads as 'Redis is not running' wherever it happens.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import lessonapp, paths
from .stages import Cause, Check, Course, Stage


class Failed(Exception):
    def __init__(self, cause: str, detail: str):
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


@dataclass
class Result:
    check: Check
    ok: bool
    detail: str
    cause: Cause | None = None
    hint: str = ""
    where: str = ""


CHECKS: dict[str, Callable[..., str]] = {}


def check(fn: Callable[..., str]) -> Callable[..., str]:
    CHECKS[fn.__name__] = fn
    return fn


def redis_client(db: int = 0, timeout: float = 2.0):
    import redis

    return redis.Redis(host="localhost", port=paths.redis_port(), db=db,
                       socket_timeout=timeout, socket_connect_timeout=timeout)


# --- stage: lab-vm (inside the course's VM only) ----------------------------------------------


@check
def vm_os(stage: Stage, os_id: str, version_id: str) -> str:
    release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
    )
    name = release.get("PRETTY_NAME", "?").strip('"')
    if release.get("ID") != os_id or release.get("VERSION_ID", "").strip('"') != version_id:
        raise Failed("not-in-vm", f"this is {name}, not {os_id} {version_id}")
    if not Path("/run/systemd/system").is_dir():
        raise Failed("not-in-vm", f"{name}, but systemd is not running this machine (no /run/systemd/system)")
    return f"{name} under systemd"


def _systemctl(*args: str) -> str:
    if not shutil.which("systemctl"):
        raise Failed("service-down", "no systemctl on this machine")
    done = subprocess.run(["systemctl", *args], capture_output=True, text=True)
    out, err = done.stdout.strip(), done.stderr.strip()
    if not out and err:  # e.g. "Failed to connect to bus": no answer at all
        raise Failed("service-down", f"systemctl {' '.join(args)}: {err.splitlines()[-1]}")
    return out


@check
def vm_service(stage: Stage, unit: str) -> str:
    state = _systemctl("is-active", unit)
    if state != "active":
        raise Failed("service-down", f"systemctl is-active {unit}: {state or 'unknown'}")
    return f"{unit}.service is active"


@check
def vm_service_binary(stage: Stage, unit: str, binary: str) -> str:
    exec_start = _systemctl("show", "-p", "ExecStart", "--value", unit)
    if f"path={binary} " not in exec_start + " " and not exec_start.startswith(binary):
        raise Failed("service-down", f"{unit}.service runs {exec_start or 'nothing'}, not {binary}")
    owner = subprocess.run(["dpkg-query", "-S", binary], capture_output=True, text=True) \
        if shutil.which("dpkg-query") else None
    if owner is not None and owner.returncode == 0:
        raise Failed("packaged", f"{binary} belongs to the package {owner.stdout.split(':')[0]}")
    return f"{unit}.service runs {binary}, built from source (no package owns it)"


@check
def vm_redis_config(stage: Stage, expect: dict) -> str:
    r = redis_client()
    seen = {key: r.config_get(key).get(key) for key in expect}
    wrong = {k: v for k, v in seen.items() if v != expect[k]}
    if wrong:
        raise Failed("vm-config", f"CONFIG GET shows {wrong}, expected {expect}")
    return ", ".join(f"{k} {v}" for k, v in seen.items())


# --- stage: redis-built ----------------------------------------------------------------------


@check
def redis_binaries(stage: Stage, names: list[str]) -> str:
    missing = [n for n in names if not os.access(paths.redis_bin(n), os.X_OK)]
    if missing:
        raise Failed("not-built", f"missing in {paths.show(paths.redis_prefix())}/bin: {', '.join(missing)}")
    return f"{', '.join(names)} in {paths.show(paths.redis_prefix())}/bin"


@check
def redis_version(stage: Stage) -> str:
    binary = paths.redis_bin()
    if not os.access(binary, os.X_OK):
        raise Failed("not-built", f"no {binary}")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    want = paths.default_redis_version()
    if f"v={want} " not in out:
        raise Failed("wrong-version", f"{out!r} is not v={want}")
    return out


@check
def redis_not_packaged(stage: Stage) -> str:
    binary = paths.redis_bin().resolve()
    if not binary.exists():
        raise Failed("not-built", f"no {paths.show(binary)}")
    owner = subprocess.run(["dpkg-query", "-S", str(binary)], capture_output=True, text=True) \
        if shutil.which("dpkg-query") else None
    if owner is not None and owner.returncode == 0:
        raise Failed("packaged", f"{binary} belongs to the package {owner.stdout.split(':')[0]}")
    return f"{paths.show(binary)} belongs to no package: built here"


# --- stage: redis-running --------------------------------------------------------------------


@check
def redis_ping(stage: Stage) -> str:
    reply = redis_client().ping()
    return f"PING -> {'PONG' if reply else reply!r} on localhost:{paths.redis_port()}"


@check
def redis_set_get(stage: Stage, key: str, value: str) -> str:
    r = redis_client()
    r.set(key, value)
    got = r.get(key)
    if got != value.encode():
        raise Failed("redis-down", f"SET {key} {value} then GET {key} gave {got!r}")
    return f"SET {key} {value!r}; GET {key} -> {got.decode()!r}"


@check
def redis_save(stage: Stage) -> str:
    import redis

    r = redis_client()
    folder = Path(r.config_get("dir")["dir"])
    dump = folder / r.config_get("dbfilename")["dbfilename"]
    before = int(time.time())
    try:
        r.save()
    except redis.ResponseError as e:
        raise Failed("no-dump", f"SAVE into {paths.show(folder)} failed: {e}") from None
    if r.lastsave().timestamp() < before:
        raise Failed("no-dump", f"SAVE returned but LASTSAVE did not move: nothing written to {paths.show(dump)}")
    try:
        if not dump.is_file():
            raise Failed("no-dump", f"SAVE did not write {paths.show(dump)}")
        return f"SAVE wrote {paths.show(dump)}"
    except PermissionError:  # the VM's /var/lib/redis belongs to the redis user
        return f"SAVE wrote {dump} (LASTSAVE moved; the folder is not readable by you)"


LOOPBACK = re.compile(r"^-?(127\.\d+\.\d+\.\d+|::1|localhost)$")


def exposure(bind: list[str], protected: str) -> list[str]:
    """What makes a Redis reachable beyond loopback: non-loopback bind addresses, protected-mode off."""
    problems = [f"bind {b}" for b in bind if not LOOPBACK.match(b)]
    if not bind:
        problems.append("no bind (all interfaces)")
    if protected != "yes":
        problems.append(f"protected-mode {protected}")
    return problems


@check
def redis_loopback(stage: Stage) -> str:
    r = redis_client()
    bind = r.config_get("bind")["bind"].split()
    protected = r.config_get("protected-mode")["protected-mode"]
    problems = exposure(bind, protected)
    if problems:
        raise Failed("exposed", f"{', '.join(problems)} (bind {' '.join(bind) or '(none)'})")
    return f"bind {' '.join(bind)}, protected-mode {protected}"


# --- stage: python-deps ----------------------------------------------------------------------


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        raise Failed("deps-missing", f"{name} is not installed in {sys.prefix}") from None


@check
def packages(stage: Stage, require: dict[str, str]) -> str:
    from packaging.specifiers import SpecifierSet

    seen = []
    for name, spec in require.items():
        version = _installed(name)
        if version not in SpecifierSet(spec):
            raise Failed("deps-version", f"{name} {version} is not {spec}")
        seen.append(f"{name} {version}")
    return ", ".join(seen)


@check
def redis_py_rule(stage: Stage) -> str:
    """Today's version of the article's 'celery >= 4 needs redis >= 2.10.4': kombu's redis extra."""
    from packaging.requirements import Requirement

    kombu = _installed("kombu")
    redis_py = _installed("redis")
    for line in metadata.requires("kombu") or ():
        req = Requirement(line)
        if req.name == "redis" and req.marker and req.marker.evaluate({"extra": "redis"}):
            if redis_py not in req.specifier:
                raise Failed("deps-version", f"kombu {kombu} needs redis{req.specifier}, installed: {redis_py}")
            return f"kombu {kombu} needs redis{req.specifier}: redis {redis_py} fits"
    raise Failed("deps-version", f"kombu {kombu} declares no redis extra")


# --- stages: worker-up, client-works, split-layout --------------------------------------------


def _replies(stage: Stage, app: str, command: str, **arguments) -> list[tuple[str, object]]:
    """Every worker's reply to a remote-control command, one (node name, reply) per worker.

    A list, not Celery's usual dict by node name: two workers started under one name (the same host,
    no -n) would fold into one answer there, and the checker must see both."""
    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), app) as celery_app:
        replies = celery_app.control.broadcast(command, arguments=arguments, reply=True, timeout=1.0) or []
        broker = celery_app.conf.broker_url
    out = [(node, answer) for reply in replies for node, answer in reply.items()]
    if not out:
        raise Failed("worker-down", f"no worker answered on {broker}")
    return out


def _same_name(replies: list[tuple[str, object]]) -> dict[str, int]:
    names = Counter(node for node, _ in replies)
    return {node: n for node, n in names.items() if n > 1}


@check
def worker_ping(stage: Stage, app: str) -> str:
    replies = _replies(stage, app, "ping")
    twins = _same_name(replies)
    if twins:
        node, n = next(iter(twins.items()))
        from celery.app.defaults import _TO_NEW_KEY

        confs = sorted(({_TO_NEW_KEY.get(k, k): v for k, v in conf.items()}
                        for name, conf in _replies(stage, app, "conf", with_defaults=False) if name == node),
                       key=lambda c: sorted((k, repr(v)) for k, v in c.items()))  # replies come in any order
        differ = sorted(k for k in set().union(*confs) if len({repr(c.get(k)) for c in confs}) > 1
                        and k != "include" and not k.endswith(("_url", "_backend")))
        detail = "; ".join(f"{k}: {' / '.join(repr(c.get(k)) for c in confs)}" for k in differ)
        raise Failed("duplicate-nodes", f"{n} workers answer as {node}"
                     + (f", with different settings ({detail})" if detail else ", with the same settings"))
    return f"{len(replies)} worker(s) answered: {', '.join(sorted(node for node, _ in replies))}"


@check
def tasks_registered(stage: Stage, app: str, tasks: list[str]) -> str:
    replies = _replies(stage, app, "registered")
    for node, names in replies:
        missing = [t for t in tasks if t not in names]
        if missing:
            known = ", ".join(names) or "none"
            raise Failed("unregistered", f"{node} does not know {', '.join(missing)} (it has: {known})")
    return f"{', '.join(tasks)} registered on {', '.join(sorted({node for node, _ in replies}))}"


@check
def worker_conf(stage: Stage, app: str, expect: dict) -> str:
    from celery.app.defaults import _TO_OLD_KEY

    replies = _replies(stage, app, "conf", with_defaults=False)
    twins = _same_name(replies)
    for node, conf in replies:
        # only what the worker's configuration sets (no defaults), under new or old names
        seen = {k: conf.get(k, conf.get(_TO_OLD_KEY.get(k, k))) for k in expect}
        wrong = {k: v for k, v in seen.items() if v != expect[k]}
        if wrong and node in twins:
            raise Failed("duplicate-nodes", f"{twins[node]} workers answer as {node}, and one of them runs with "
                                            f"{wrong} instead of {expect}")
        if wrong:
            raise Failed("config-not-loaded", f"{node} has {wrong}, expected {expect}")
    return f"the worker runs with {', '.join(f'{k}={v!r}' for k, v in expect.items())}"


@check
def script_output(stage: Stage, app: str, script: str, expect: list[str], timeout: float = 60) -> str:
    folder = paths.lesson_dir(stage.lesson)
    env = lessonapp.lesson_env(folder, app)
    try:
        proc = subprocess.run([sys.executable, script], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed("no-result", f"python {script} did not finish in {timeout:.0f} s") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ScriptError(f"python {script} exited {proc.returncode}: {last}", proc.stderr)
    missing = [line for line in expect if line not in proc.stdout.splitlines()]
    if missing:
        raise Failed("wrong-output", f"python {script} printed {proc.stdout.strip()!r}, missing {missing}")
    return f"python {script} printed {' / '.join(expect)}"


class ScriptError(Exception):
    """A lesson script failed; its whole stderr is matched against the causes."""

    def __init__(self, summary: str, stderr: str):
        super().__init__(summary)
        self.stderr = stderr


@check
def settings_names(stage: Stage, module: str) -> str:
    from celery.app.defaults import _TO_NEW_KEY, _TO_OLD_KEY

    path = paths.lesson_dir(stage.lesson) / f"{module}.py"
    names = [k for k in _module_names(path) if k.isupper() or k.islower()]
    old = [k for k in names if k in _TO_NEW_KEY]
    new = [k for k in names if k in _TO_OLD_KEY]
    if old and new:
        raise Failed("mixed-names", f"{path.name} mixes old {old} with new {new}")
    if old:
        raise Failed("old-names", f"{path.name} uses the old names {old}")
    return f"{path.name} uses Celery 5's names: {', '.join(new)}"


def _module_names(path: Path) -> list[str]:
    import runpy

    return [k for k in runpy.run_path(str(path)) if not k.startswith("_")]


# --- stage: inside-redis (lesson 08) ---------------------------------------------------------


@check
def result_in_redis(stage: Stage, app: str, task: str, status: str = "SUCCESS") -> str:
    """A result of `task` in the app's result backend (result_extended keeps the task's name there)."""
    import redis

    with lessonapp.lesson_app(paths.lesson_dir(stage.lesson), app) as celery_app:
        url = celery_app.conf.result_backend
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    seen = Counter()
    for key in client.scan_iter("celery-task-meta-*", count=1000):
        meta = json.loads(client.get(key) or "{}")
        seen[meta.get("name")] += 1
        if meta.get("name") == task and meta.get("status") == status:
            return f"{key.decode()}: {task} {status}, result {meta.get('result')!r}"
    others = ", ".join(f"{n} × {name}" for name, n in seen.most_common(3) if name) or "none with a task name"
    raise Failed("no-task-result", f"no {status} result of {task} among {sum(seen.values())} celery-task-meta-* "
                                   f"keys in {url} ({others})")


# --- running checks ---------------------------------------------------------------------------


def run_check(course: Course, stage: Stage, check_: Check) -> Result:
    fn = CHECKS[check_.fn]
    try:
        return Result(check_, True, fn(stage, **check_.params))
    except Failed as failure:
        cause = course.causes[failure.cause]
        detail = failure.detail
    except Exception as error:  # recognise the cause from the error text
        text = f"{type(error).__name__}: {error}\n{getattr(error, 'stderr', '')}"
        cause = course.match_cause(text)
        detail = str(error) or type(error).__name__
        if cause is None:
            return Result(check_, False, f"{type(error).__name__}: {detail}")
    hint = cause.hint_for(stage.lesson, check_.params.get("app", "server"))
    return Result(check_, False, detail, cause, hint, cause.where(stage.lesson))


def run_stage(course: Course, stage: Stage) -> list[Result]:
    """Run a stage's checks in order; stop at the first failure (later checks build on it)."""
    results = []
    for check_ in stage.checks:
        results.append(run_check(course, stage, check_))
        if not results[-1].ok:
            break
    return results


SKIPPED = "skipped"  # a stage that does not apply here (the VM stage outside the VM)


def applies(stage: Stage) -> bool:
    return stage.only is None or (stage.only == "vm" and paths.system_redis())


def run_all(course: Course) -> dict[str, list[Result] | None | str]:
    """Every stage in order; after the first stage that fails, the rest are not reached (None)."""
    outcome: dict[str, list[Result] | None | str] = {}
    blocked = False
    for stage in course.stages:
        if not applies(stage):
            outcome[stage.id] = SKIPPED
            continue
        if blocked:
            outcome[stage.id] = None
            continue
        outcome[stage.id] = run_stage(course, stage)
        blocked = not all(r.ok for r in outcome[stage.id])
    return outcome
