#!/usr/bin/env python3
"""The whole course end to end, as the lessons show it, with real processes.

`make tour` builds what is missing first (apt prerequisites, the venv, Redis from source), then
runs this: start redis-server on loopback, talk to it with redis-cli, start
`celery -A server worker`, run `python client.py`, start the split layout's
`celery -A app worker`, check every stage, print the stage table, and stop everything it
started — also on Ctrl-C or a failure.

Port 6379 taken? The tour says so and uses a free port: the lesson code keeps its URLs and
Celery's CELERY_BROKER_URL / CELERY_RESULT_BACKEND variables point it to the tour's Redis.
In the VM (CELERY_LAB_SYSTEM_REDIS=1) the tour uses the redis systemd service instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from courselab import checks, lessonapp, paths, stages, ui
from courselab.services import RedisServer, ServiceError, Services, Worker, free_port, port_free

console = ui.console


def step(title: str) -> None:
    console.rule(f"[bold]{title}")


def show(command: str, output: str) -> None:
    console.print(f"[cyan]$ {command}[/]")
    if output.strip():
        console.print(output.rstrip(), markup=False)


def run(argv: list[str], **kw) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)
    if proc.returncode != 0:
        raise ServiceError(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def expect_stage(course: stages.Course, stage_id: str) -> None:
    stage = course.stage(stage_id)
    results = checks.run_stage(course, stage)
    console.print(ui.stage_details(stage, results))
    failed = [r for r in results if not r.ok]
    if failed:
        console.print(ui.failure_panel(stage, failed[0]))
        raise SystemExit(1)


def banner_tasks(worker: Worker) -> str:
    """The [tasks] block of the worker's start-up banner."""
    lines = worker.output().splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "[tasks]"), None)
    if start is None:
        return ""
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line)
    return "\n".join(block)


def tour(services: Services) -> int:
    course = stages.load()
    t0 = time.monotonic()
    cli = str(paths.redis_bin("redis-cli"))

    if paths.system_redis():
        step("Lesson 01 · The lab VM")
        expect_stage(course, "lab-vm")

    step("Lesson 02 · Redis built from source")
    expect_stage(course, "redis-built")
    show(f"{paths.redis_bin()} --version", run([str(paths.redis_bin()), "--version"]))

    step("Lesson 03 · Run Redis")
    if paths.system_redis():
        port = paths.DEFAULT_PORT
        console.print("Using the redis systemd service on 127.0.0.1:6379 (CELERY_LAB_SYSTEM_REDIS=1).")
    else:
        wanted = int(os.environ.get("CELERY_LAB_TOUR_PORT") or paths.DEFAULT_PORT)
        port = wanted
        if not port_free(port):
            port = free_port()
            console.print(f"[yellow]Port {wanted} is already taken on this machine; the tour's Redis "
                          f"uses port {port}. The lesson code keeps its URLs; CELERY_BROKER_URL and "
                          f"CELERY_RESULT_BACKEND point it to port {port}.[/]")
        redis = RedisServer(port, paths.RUN / "redis")
        services.add(redis)
        show(f"cd {redis.cwd} && redis-server {paths.lesson_dir('03') / 'redis.conf'} --port {port}",
             f"(pid {redis.pid}, log {redis.log})")
    os.environ["CELERY_LAB_REDIS_PORT"] = str(port)
    for args in (["ping"], ["set", "a", "123"], ["get", "a"], ["save"], ["config", "get", "dir"]):
        show("redis-cli " + " ".join(args), run([cli, "-p", str(port), *args]))
    expect_stage(course, "redis-running")

    step("Lesson 04 · Python packages")
    expect_stage(course, "python-deps")

    step("Lesson 05 · The single-module app: celery -A server worker")
    worker = services.add(Worker(paths.lesson_dir("05"), "server"))
    show(f"cd lessons/05-single-module-app && celery -A server worker --loglevel=info   # pid {worker.pid}",
         banner_tasks(worker))
    expect_stage(course, "worker-up")

    step("Lesson 06 · Calling tasks: python client.py")
    folder = paths.lesson_dir("06")
    env = lessonapp.lesson_env(folder, "server")
    show("cd lessons/06-calling-tasks && python client.py", run([sys.executable, "client.py"], cwd=folder, env=env))
    show("python article_client.py   # the article's version: note the second line",
         run([sys.executable, "article_client.py"], cwd=folder, env=env))
    expect_stage(course, "client-works")

    step("Lesson 07 · The split layout: celery -A app worker")
    split = services.add(Worker(paths.lesson_dir("07"), "app"))
    show(f"cd lessons/07-split-layout && celery -A app worker --loglevel=info   # pid {split.pid}",
         banner_tasks(split))
    folder = paths.lesson_dir("07")
    show("python client.py", run([sys.executable, "client.py"], cwd=folder, env=lessonapp.lesson_env(folder, "app")))
    expect_stage(course, "split-layout")

    step("All stages")
    ok = ui.show_outcome(course, checks.run_all(course))
    console.print(f"Tour finished in {time.monotonic() - t0:.0f} s.")
    return 0 if ok else 1


def main() -> int:
    # Ctrl-C always interrupts, even when started in the background by a shell that ignores SIGINT for
    # its background jobs (the ignored disposition would be inherited); SIGTERM (e.g. from CI's timeout)
    # unwinds the same way, so the finally below stops everything.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    services = Services()
    try:
        return tour(services)
    except ServiceError as e:
        console.print(str(e), style="red", markup=False)
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted.[/]")
        return 130
    finally:
        for process in reversed(services.started):
            console.print(f"stopping {process.name} (pid {process.pid})")
        services.close()


if __name__ == "__main__":
    sys.exit(main())
