# -*- coding:utf-8 -*-
import time

from app import app


@app.task
def sendmail(mail):
    print('sending mail to %s ...' % mail['to'])
    time.sleep(2)
    print('mail send.')
    return 'Send Successful!'


@app.task()
def add(x, y):
    return x + y
