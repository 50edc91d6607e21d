# -*- coding: utf-8 -*-
# The app on its own: tasks live in server.py (include=...), settings in config.py.
from celery import Celery

app = Celery('app', include=['server'])
app.config_from_object('config')
