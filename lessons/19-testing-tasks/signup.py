# -*- coding: utf-8 -*-
# Code that calls a task: signing up sends the welcome mail in the background.
from server import sendmail


def sign_up(address):
    sendmail.delay(dict(to=address))
    return 'Welcome! A mail is on its way to {0}.'.format(address)
