# -*- coding: utf-8 -*-
# The web app, built by a factory (Flask's "Background Tasks with Celery" pattern): its settings, the
# Celery app made from them, the login, the database, and the pages of views.py.
import os

from celery import Celery, Task
from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        CELERY=dict(
            broker_url='redis://127.0.0.1:6379/1',
            result_backend='redis://127.0.0.1:6379/0',
            task_serializer='json',
            result_serializer='json',
            accept_content=['json'],
            task_ignore_result=True,  # a task whose result the page reads says ignore_result=False
        ),
        DATABASE=os.path.join(app.instance_path, 'signups.sqlite'),
    )
    app.config.from_prefixed_env()  # FLASK_DATABASE=... overrides DATABASE
    os.makedirs(app.instance_path, exist_ok=True)
    celery_init_app(app)

    from . import db, login, views
    login.init_app(app)
    db.init_app(app)
    app.register_blueprint(views.bp)
    return app


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():  # a task may use what a view uses: app.config, the database
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config['CELERY'])
    celery_app.set_default()  # AsyncResult(id) in a view finds this app's result backend
    app.extensions['celery'] = celery_app
    return celery_app
