# -*- coding: utf-8 -*-
# perf.py's tick on arq: an asyncio coroutine, run by arq's worker on its own Redis connection.
# Worker (arq's own command):   arq arq_tick.WorkerSettings
# Send:                         await pool.enqueue_job('tick')   (and await job.result() to wait for it)
import asyncio
import os

from arq.connections import RedisSettings

URL = os.environ.get('REDIS_URL', 'redis://localhost:6379/0')


async def tick(ctx):
    """One unit of work: count itself done (one INCR, on the worker's connection) and return the count."""
    return await ctx['redis'].incr('perf:done')


async def hold(ctx):
    """The kill -9 count's task (section 8), as gate.hold but awaiting: started, held at the gate, completed."""
    await ctx['redis'].incr('hold:started')
    while await ctx['redis'].get('gate') != b'open':
        await asyncio.sleep(0.01)
    return await ctx['redis'].incr('hold:completed')


class WorkerSettings:
    functions = [tick, hold]
    redis_settings = RedisSettings.from_dsn(URL)
