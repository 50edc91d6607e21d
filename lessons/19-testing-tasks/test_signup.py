# -*- coding: utf-8 -*-
# Section 6: testing code that calls a task, with delay() replaced by a mock: no Redis, no worker.
from unittest import mock

import signup


def test_sign_up_sends_the_mail():
    with mock.patch.object(signup.sendmail, 'delay') as delay:
        assert signup.sign_up('learner@example.com') == 'Welcome! A mail is on its way to learner@example.com.'
    delay.assert_called_once_with(dict(to='learner@example.com'))
