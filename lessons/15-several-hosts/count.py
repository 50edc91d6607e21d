# -*- coding: utf-8 -*-
# Count, as the admin (the user celery may not read Redis's counts), what became of the tasks send.py sent,
# and what waits in each queue:   python count.py
from pathlib import Path

import redis
from lan import REDIS_HOST, on_a_lesson_host

on_a_lesson_host()
secrets = Path.home() / '.config' / 'celery-lab' / 'lesson15'
admin = redis.Redis(host=REDIS_HOST, port=6379, username='admin',
                    password=(secrets / 'admin.password').read_text().strip(), ssl=True, ssl_cert_reqs='required',
                    ssl_ca_certs=str(secrets / 'tls' / 'ca.crt'), decode_responses=True)
submitted = admin.smembers('celery:lab:submitted')
completed = admin.smembers('celery:lab:completed')
print(f'{"submitted":>9} {"completed":>9} {"waiting in mail":>15} {"waiting in math":>15}')
print(f'{len(submitted):>9} {len(submitted & completed):>9} {admin.llen("celery:mail"):>15} '
      f'{admin.llen("celery:math"):>15}')
