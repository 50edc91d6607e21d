# -*- coding: utf-8 -*-
# The article's config.py in Celery 5's lowercase setting names (what `celery upgrade settings`
# writes), and with msgpack dropped: the article accepted msgpack but never installed it.
broker_url = 'redis://127.0.0.1:6379/1'
result_backend = 'redis://127.0.0.1:6379/0'
task_serializer = 'json'
result_serializer = 'json'
result_expires = 60 * 60 * 24
accept_content = ['json']
