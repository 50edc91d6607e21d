# -*- coding: utf-8 -*-
# Section 2: a task's body is a plain function. Calling the task object runs it here, in this
# process: no Redis, no worker, no serializer.
from server import add, sendmail


def test_add():
    assert add(4, 4) == 8


def test_sendmail(monkeypatch, capsys):
    monkeypatch.setattr('server.time.sleep', lambda seconds: None)  # the mail's 2 s, skipped
    assert sendmail(dict(to='learner@example.com')) == 'Send Successful!'
    assert 'sending mail to learner@example.com' in capsys.readouterr().out
