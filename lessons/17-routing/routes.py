# -*- coding: utf-8 -*-
# Lesson 17's routed app: tlsapp's connection (TLS, the user celery, every key under "celery:"), two kinds of
# task, and a route for each — mail to the queue "mail", arithmetic to the queue "math" — so that each kind
# runs on the hosts whose workers consume its queue. Each task notes its id when it has run, in a set under
# "celery:" (SADD: one of the commands the user celery may run), so that count.py can tell what was lost.
from tlsapp import app

app.conf.task_routes = {
    'routes.send_mail': {'queue': 'mail'},
    'routes.add': {'queue': 'math'},
}
ledger = app.backend.client  # a client of the result backend: the same Redis, the same user


@app.task(bind=True)
def send_mail(self, to):
    ledger.sadd('celery:lab:completed', self.request.id)
    return f'mail to {to}'


@app.task(bind=True)
def add(self, x, y):
    ledger.sadd('celery:lab:completed', self.request.id)
    return x + y
