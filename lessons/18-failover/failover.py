# -*- coding: utf-8 -*-
# Lesson 18's app: the queue and the results in the replicated Redis that three Sentinels
# watch. Celery asks the Sentinels where the primary "lab" is (sentinel://, one URL per Sentinel, joined by
# ";"), and asks again when it loses it. TLS and the user celery everywhere, as in tlsapp.py.
import redis
from celery import Celery
from lan import HOSTS, REDIS_HOST, TLS, login, on_a_lesson_host, password

on_a_lesson_host()
SENTINELS = [(HOSTS[host], 26379) for host in ("redis", "w1", "w2")]
sentinels = ";".join(f"sentinel://celery:{password('celery')}@{host}:{port}/0" for host, port in SENTINELS)
# broker_use_ssl and the URL's user and password are for the primary; sentinel_kwargs for the Sentinels.
on_sentinel = {"master_name": "lab", "global_keyprefix": "celery:", "sentinel_kwargs": login("celery")}

app = Celery("failover", broker=sentinels, backend=sentinels)
app.conf.update(
    broker_use_ssl=TLS,
    redis_backend_use_ssl=TLS,
    # A worker that exits in the failover leaves the messages it held in unacked (acknowledged late): they come
    # back once older than the visibility timeout (lesson 13's 10 s, not an hour), at kombu's next sweep (every
    # 2 s here, not about every 100 s).
    broker_transport_options={**on_sentinel, "visibility_timeout": 10, "unacked_restore_interval": 2,
                              "unacked_restore_throttle": 1},
    result_backend_transport_options=on_sentinel,
    # lesson 13's settings that lose nothing when a worker dies
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # A send retries for up to about 10 s (Celery's default gives up after about 0.6 s): longer than a
    # failover takes here, so the client waits for the new primary instead of failing.
    task_publish_retry_policy={"max_retries": 20, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
)
# The ledger of runs stays on lesson 16's Redis (port 6379), which this lesson does not break.
ledger = redis.Redis(host=REDIS_HOST, port=6379, **login("celery"))


@app.task(bind=True)
def work(self, i):
    ledger.rpush("celery:lab:ran", self.request.id)  # one entry per run: twice if it ran twice
    return i
