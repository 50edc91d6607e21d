"""Lesson 02 played as written: Redis fetched, verified, built and tested by hand in the learner's home.

It shares no folder and no port with the other plays (tests/test_transcripts.py), so pytest-xdist runs it
beside them: it is the longest play.
"""

from __future__ import annotations

from courselab import paths
from test_transcripts import assert_plays_as_written


def test_lesson_02_plays_as_written():
    assert_plays_as_written(paths.lesson_dir("02"))
