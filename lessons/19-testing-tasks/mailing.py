# -*- coding: utf-8 -*-
# A task of the article's app with a bug a test should catch: it returns a set, which JSON cannot carry.
from app import app


@app.task
def recipients(mails):
    """The addresses to write to, each once."""
    return {mail['to'] for mail in mails}
