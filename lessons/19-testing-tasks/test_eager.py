# -*- coding: utf-8 -*-
# Section 3: apply() runs a task here, as a worker would, but skips what lies between: Redis, the
# worker, and the serializer of the arguments and of the result.
from mailing import recipients
from server import add

MAILS = [dict(to='learner@example.com'), dict(to='learner@example.com')]


def test_apply_returns_the_result():
    result = add.apply(args=(4, 4))
    assert result.state == 'SUCCESS'
    assert result.get() == 8


def test_recipients_eagerly():
    assert recipients.apply(args=(MAILS,)).get() == {'learner@example.com'}  # passes
