# -*- coding: utf-8 -*-
# The article's config.py, as it was written for Celery 4: the old uppercase setting names.
# Celery 5 still reads them, with a deprecation warning for each.
# (Task messages in msgpack, results in json, in the article's words.)

BROKER_URL = 'redis://127.0.0.1:6379/1'
CELERY_RESULT_BACKEND = 'redis://127.0.0.1:6379/0'
# CELERY_TASK_SERIALIZER = 'msgpack'
CELERY_RESULT_SERIALIZER = 'json'
CELERY_TASK_RESULT_EXPIRES = 60 * 60 * 24
CELERY_ACCEPT_CONTENT = ['json', 'msgpack']
