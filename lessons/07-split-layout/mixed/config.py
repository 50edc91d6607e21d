# -*- coding: utf-8 -*-
# Old and new setting names in one file: Celery refuses this with ImproperlyConfigured.
broker_url = 'redis://127.0.0.1:6379/1'
CELERY_RESULT_BACKEND = 'redis://127.0.0.1:6379/0'
result_serializer = 'json'
CELERY_TASK_RESULT_EXPIRES = 60 * 60 * 24
accept_content = ['json']
