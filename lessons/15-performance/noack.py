# -*- coding: utf-8 -*-
# perf.py's app without kombu's acknowledgement emulation: no copy of each message kept in `unacked`
# (lesson 13) — fewer Redis round trips per message, and a worker that dies loses what it had taken.
from perf import app, tick  # noqa: F401  (the same task)

app.conf.broker_transport_options = {'ack_emulation': False}
