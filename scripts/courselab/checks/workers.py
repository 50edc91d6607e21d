"""The checks that ask running workers (lessons 05-07, and each later lesson's worker), and run lesson scripts."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from .. import lessonapp, paths
from .base import Failed, ScriptError, Stage, check

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
        # a task with a rate limit (set in code or by `celery control rate_limit`) is listed as
        # "name [rate_limit=10/m]": the name is what comes before the brackets
        names = [name.split(" [", 1)[0] for name in names]
        missing = [t for t in tasks if t not in names]
        if missing:
            known = ", ".join(names) or "none"
            raise Failed("unregistered", f"{node} does not know {', '.join(missing)} (it has: {known})")
    return f"{', '.join(tasks)} registered on {', '.join(sorted({node for node, _ in replies}))}"


@check
def worker_conf(stage: Stage, app: str, expect: dict, cause: str = "config-not-loaded") -> str:
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
            raise Failed(cause, f"{node} has {wrong}, expected {expect}")
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


@check
def visibility_timeout(stage: Stage, app: str, longest_countdown: int) -> str:
    """Every worker's Redis visibility timeout outlasts the lesson's longest countdown (else it runs twice)."""
    replies = _replies(stage, app, "conf", with_defaults=False)
    for node, conf in replies:
        options = conf.get("broker_transport_options") or {}
        timeout = options.get("visibility_timeout", 3600)  # kombu's default: one hour
        if timeout <= longest_countdown:
            raise Failed("short-visibility-timeout", f"{node} runs with visibility_timeout {timeout} s, no longer than "
                                                     f"a countdown of {longest_countdown} s")
    return (f"visibility_timeout of {', '.join(sorted(node for node, _ in replies))}: longer than a countdown of "
            f"{longest_countdown} s")
