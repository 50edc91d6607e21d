# -*- coding:utf-8 -*-
import time

from celery import Celery

# The first argument is the app's main name. Tasks are named after the module that defines them
# (server.add, server.sendmail); the main name stands in only when this file runs as a script.
# The broker carries the messages, the backend keeps the results.
app = Celery('server', backend='redis://localhost:6379/0', broker='redis://localhost:6379/0')


@app.task
def sendmail(mail):
    print('sending mail to %s ...' % mail['to'])
    time.sleep(2)
    print('mail send.')
    return 'Send Successful!'


# The app.task decorator turns a plain function into a Celery task object.
@app.task()
def add(x, y):
    return x + y
