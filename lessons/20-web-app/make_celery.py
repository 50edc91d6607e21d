# -*- coding: utf-8 -*-
# The worker's way in (Flask's pattern): `celery -A make_celery worker` builds the web app, and with it
# the Celery app that celery_init_app attached to it.
from web import create_app

flask_app = create_app()
celery_app = flask_app.extensions['celery']
