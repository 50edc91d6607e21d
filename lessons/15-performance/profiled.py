# -*- coding: utf-8 -*-
# noack.py's worker under cProfile (Python's own deterministic profiler), from its first task until it is
# told to shut down: run with -P solo, so that the tasks run in the process the profiler watches. The
# profile is written to the file $PROFILE names (make bench reads it: "Where the time goes").
import cProfile
import os

from celery.signals import task_prerun, worker_shutting_down

from noack import app, tick  # noqa: F401  (the same app and task)

profiler = cProfile.Profile()
started = False


@task_prerun.connect
def start_profiling(**kwargs):
    global started
    if not started:  # the first task: what came before (imports, start-up) is not what is measured
        started = True
        profiler.enable()


@worker_shutting_down.connect  # sent by the worker's SIGTERM handler: the shutdown itself is not measured
def write_profile(**kwargs):
    profiler.disable()
    profiler.dump_stats(os.environ.get('PROFILE', 'worker.prof'))
