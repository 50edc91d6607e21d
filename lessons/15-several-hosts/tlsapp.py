# -*- coding: utf-8 -*-
# Lesson 15's app, for hosts that reach Redis over the network: TLS, checked against the lesson's CA,
# as the user "celery" (its password read from its file, never written here), every key under
# "celery:" — the prefix its ACL allows.
import ssl
from pathlib import Path

from celery import Celery
from lan import REDIS_HOST, on_a_lesson_host

on_a_lesson_host()
secrets = Path.home() / ".config" / "celery-lab" / "lesson15"
password = (secrets / "celery.password").read_text().strip()
url = f"rediss://celery:{password}@{REDIS_HOST}:6379/0"
tls = {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": str(secrets / "tls" / "ca.crt")}

app = Celery("tlsapp", broker=url, backend=url)
app.conf.update(
    broker_use_ssl=tls,
    redis_backend_use_ssl=tls,
    broker_transport_options={"global_keyprefix": "celery:"},
    result_backend_transport_options={"global_keyprefix": "celery:"},
)


@app.task
def add(x, y):
    return x + y
