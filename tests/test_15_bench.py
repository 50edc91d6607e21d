"""Lesson 15's stage check, ladder-measured, on figures files: it passes on complete figures and fails, with its
hint, without any or with the figures of another version of the ladder.

The ladder itself runs for real twice in make test, and neither run is repeated here: lesson 15's play runs
`make bench` as written and passes this stage on what it measured (its Verification), and notebook 15 runs
courselab.ladder.measure on small sizes and asserts every rung, each worker's parser, every pool of the
I/O-bound task and what the profiled chunks did. The figures below are the check's input, not a measurement.
"""

from __future__ import annotations

import json

import pytest
from conftest import assert_fails_with, assert_passes, run_check
from courselab import ladder

CHUNK = 10


@pytest.fixture
def figures_file(tmp_path, monkeypatch):
    """FIGURES and CHART in a folder of the test's own; returns a writer of figures as make bench writes them."""
    monkeypatch.setattr(ladder, "FIGURES", tmp_path / "ladder.json")
    monkeypatch.setattr(ladder, "CHART", tmp_path / "ladder.png")

    def write(figures: dict, chart: bool = True) -> None:
        ladder.FIGURES.write_text(json.dumps(figures))
        if chart:
            ladder.CHART.write_bytes(b"\x89PNG\r\n\x1a\n")

    return write


def complete() -> dict:
    """Every rung and every pool with a rate, in the shape of ladder.Figures (what make bench writes)."""
    rungs = ladder.rungs(CHUNK)
    return {"tasks": 40, "trips": 5, "chunk": CHUNK,
            "rates": {r.name: 100.0 * (i + 1) for i, r in enumerate(rungs)},
            "io_rates": {name: 50.0 for name, _, _ in ladder.POOLS}}


def test_the_stage_passes_on_complete_figures(course, figures_file):
    figures_file(complete())
    result = run_check(course, "ladder-measured")
    assert_passes(result)
    assert f"{len(ladder.rungs(CHUNK))} rungs measured (40 tasks per burst): the top one 9.0× the default" \
        in result.detail


def test_no_run_is_named(course, figures_file):
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "make bench" in result.hint and "the ladder has not been measured" in result.detail


def test_a_run_without_its_chart_is_named(course, figures_file):
    figures_file(complete(), chart=False)
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "the run did not finish" in result.detail


def test_a_file_that_is_not_the_ladders_is_named(course, figures_file):
    ladder.FIGURES.write_text("{}")
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "is not the ladder's figures" in result.detail


def test_figures_of_another_ladder_are_named(course, figures_file):
    figures = complete()
    del figures["rates"]["+ solo pool"]  # as if measured before the course added that rung
    figures_file(figures)
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "has no figure for + solo pool" in result.detail
    del figures["io_rates"]["gevent -c 50"]  # nor the I/O-bound task on gevent
    figures_file(figures)
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "has no figure for + solo pool, the I/O-bound task on gevent -c 50" in result.detail
