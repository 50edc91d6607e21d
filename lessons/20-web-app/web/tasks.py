# -*- coding: utf-8 -*-
# The tasks the pages send. shared_task: they belong to whichever Celery app the web app made.
import time

from celery import shared_task

from .db import get_db


@shared_task(bind=True, ignore_result=False)
def send_mail(self, to):
    """The article's sendmail, in five steps; each reports how far it is (state PROGRESS, lesson 09)."""
    total = 5
    for done in range(1, total + 1):
        time.sleep(0.4)  # a step of a real mail: connect, greet, send, ...
        self.update_state(state='PROGRESS', meta={'done': done, 'total': total})
    return f'mail sent to {to}'


@shared_task(ignore_result=False)
def welcome(user_id):
    """The welcome mail of a new user, whose address it reads from the database."""
    user = get_db().execute('SELECT email FROM users WHERE id = ?', (user_id,)).fetchone()
    return f"welcome mail sent to {user['email']}"
