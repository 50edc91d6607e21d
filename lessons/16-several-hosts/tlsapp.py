# -*- coding: utf-8 -*-
# Lesson 16's app, for hosts that reach Redis over the network: TLS, checked against the lesson's CA,
# as the user "celery" (its password read from its file, never written here), every key under
# "celery:" — the prefix its ACL allows.
from celery import Celery
from lan import REDIS_HOST, TLS, on_a_lesson_host, password

on_a_lesson_host()
url = f"rediss://celery:{password('celery')}@{REDIS_HOST}:6379/0"

app = Celery("tlsapp", broker=url, backend=url)
app.conf.update(
    broker_use_ssl=TLS,
    redis_backend_use_ssl=TLS,
    broker_transport_options={"global_keyprefix": "celery:"},
    result_backend_transport_options={"global_keyprefix": "celery:"},
)


@app.task
def add(x, y):
    return x + y
