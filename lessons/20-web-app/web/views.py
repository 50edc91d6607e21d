# -*- coding: utf-8 -*-
# The pages: the form, a mail sent in the background (202 and the task's id), a task's state, and two
# ways to sign up: the welcome mail sent before the commit, and after it.
import time

from celery.result import AsyncResult
from flask import Blueprint, render_template, request, url_for

from . import tasks
from .db import get_db

bp = Blueprint('pages', __name__)


@bp.get('/')
def index():
    return render_template('index.html')


@bp.post('/mail')
def mail():
    result = tasks.send_mail.delay(request.form['to'])
    return {'id': result.id}, 202, {'Location': url_for('pages.task', id=result.id)}


@bp.get('/tasks/<id>')
def task(id):
    meta = AsyncResult(id).backend.get_task_meta(id)  # one read: the state and its data of the same moment
    state, info = meta['status'], meta['result']
    answer = {'id': id, 'state': state}
    if state == 'PROGRESS':
        answer.update(info)
    elif state == 'SUCCESS':
        answer['result'] = info
    elif state == 'FAILURE':
        answer['error'] = f'{type(info).__name__}: {info}'
    return answer


def rest_of_the_request():
    time.sleep(0.05)  # what a real request does after its first write: more queries, a template...


@bp.post('/signup-early')
def sign_up_early():
    db = get_db()
    user_id = db.execute('INSERT INTO users (email) VALUES (?)', (request.form['email'],)).lastrowid
    result = tasks.welcome.delay(user_id)  # too early: the row is not committed yet
    rest_of_the_request()
    db.commit()
    return {'id': result.id}, 202


@bp.post('/signup')
def sign_up():
    db = get_db()
    user_id = db.execute('INSERT INTO users (email) VALUES (?)', (request.form['email'],)).lastrowid
    rest_of_the_request()
    db.commit()
    result = tasks.welcome.delay(user_id)  # after the commit: the worker finds the row
    return {'id': result.id}, 202
