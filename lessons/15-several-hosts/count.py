# -*- coding: utf-8 -*-
# Count, as the admin (the user celery may not read Redis's counts), what became of the tasks send.py sent,
# and what waits in each queue:   python count.py
import redis
from lan import REDIS_HOST, login, on_a_lesson_host

on_a_lesson_host()
admin = redis.Redis(host=REDIS_HOST, port=6379, decode_responses=True, **login('admin'))
submitted = admin.smembers('celery:lab:submitted')
completed = admin.smembers('celery:lab:completed')
print(f'{"submitted":>9} {"completed":>9} {"waiting in mail":>15} {"waiting in math":>15}')
print(f'{len(submitted):>9} {len(submitted & completed):>9} {admin.llen("celery:mail"):>15} '
      f'{admin.llen("celery:math"):>15}')
