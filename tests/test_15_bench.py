"""Lesson 15's stage check, ladder-measured, on figures files: it passes on complete figures, reading which steps
stood clear of the noise, and fails, with its hint, without any, on one round, or with the figures of another
version of the ladder. And the pure functions that read rounds: the spread, ratios per round, their direction.

The ladder and the peers run for real elsewhere, and not again here: notebook 15 (in make test) runs
courselab.ladder.measure on small sizes, in two rounds, and asserts every rung in every round, each worker's
parser, every pool of the I/O-bound task and what the profiled chunks did, and courselab.peers.measure in one
round, asserting each system's kill -9 count; lesson 15's play (make test-container, make tour) runs `make bench`
and `make bench-peers` as written and passes this stage on what they measured. The figures below are the checks'
input, not a measurement.
"""

from __future__ import annotations

import json

import pytest
from conftest import assert_fails_with, assert_passes, run_check
from courselab import ladder, peers
from courselab.measure import direction, per_round, spread

CHUNK = 10
ROUNDS = 3


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


def complete(rounds: int = ROUNDS) -> dict:
    """Every rung and every pool with a rate in every round, in the shape of ladder.Figures (what make bench
    writes): each rung 10% faster than the one before in every round, but rung 1, which is 15% slower than that
    in the first round (so below rung 0 there, above it in the others)."""
    rungs = ladder.rungs(CHUNK)
    rates = {}
    for i, rung in enumerate(rungs):
        rates[rung.name] = [100.0 * 1.1 ** i * (0.85 if i == 1 and k == 0 else 1)
                            for k in range(rounds)]
    return {"tasks": 40, "trips": 5, "chunk": CHUNK, "rounds": rounds, "rates": rates,
            "io_rates": {name: [50.0] * rounds for name, _, _ in ladder.POOLS}}


def test_the_stage_passes_on_complete_figures(course, figures_file):
    figures_file(complete())
    result = run_check(course, "ladder-measured")
    assert_passes(result)
    # rung 1 is within the noise (its rounds disagree); every other is faster than the rung it builds on
    assert result.detail == (f"{len(ladder.rungs(CHUNK))} rungs in {ROUNDS} rounds (40 tasks per burst): 7 of 8 steps "
                             "moved the rate the same way in every round, 1 stayed within the noise")


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
    for text in ("{}", '{"tasks": 1, "trips": 1, "chunk": 1, "rates": []}', "[]"):
        ladder.FIGURES.write_text(text)
        result = run_check(course, "ladder-measured")
        assert_fails_with(result, course, "no-ladder")
        assert "is not the ladder's figures" in result.detail, text


def test_one_round_is_named(course, figures_file):
    figures_file(complete(rounds=1))
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "holds one round: no spread" in result.detail and "the spread needs two at least" in result.hint


def test_figures_of_another_ladder_are_named(course, figures_file):
    figures = complete()
    figures["rates"]["default"] = 100.0  # one figure, as the ladder measured it before it measured rounds
    figures_file(figures)
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "has no figure in every round for default" in result.detail
    figures["rates"]["default"] = [100.0] * ROUNDS
    del figures["rates"]["+ solo pool"]  # as if measured before the course added that rung
    figures_file(figures)
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "has no figure in every round for + solo pool" in result.detail
    del figures["io_rates"]["gevent -c 50"]  # nor the I/O-bound task on gevent
    figures_file(figures)
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "has no figure in every round for + solo pool, the I/O-bound task on gevent -c 50" in result.detail


def test_a_spread_is_the_median_and_range():
    assert spread([3.0, 1.0, 2.0]) == (2.0, 1.0, 3.0)
    assert spread([4.0, 1.0, 2.0, 3.0]) == (2.5, 1.0, 4.0)


def test_ratios_are_taken_within_each_round():
    assert per_round([2.0, 3.0], [1.0, 2.0]) == [2.0, 1.5]
    with pytest.raises(ValueError):  # a figure missing a round is not paired with another round's
        per_round([2.0, 3.0], [1.0])


def test_only_rounds_that_all_agree_say_a_direction():
    assert direction([1.2, 1.01, 1.5]) == "up"
    assert direction([0.9, 0.99]) == "down"
    assert direction([1.2, 0.98, 1.5]) == "noise"
    assert direction([1.0, 1.1]) == "noise"  # a round without a difference is not a round with one
    assert direction([3.0]) == "one round"


# --- peers-measured: make bench-peers' figures ---------------------------------------------------------------------


@pytest.fixture
def peers_file(tmp_path, monkeypatch):
    """peers.FIGURES in a folder of the test's own; returns a writer of figures as make bench-peers writes them."""
    monkeypatch.setattr(peers, "FIGURES", tmp_path / "peers.json")
    return lambda figures: peers.FIGURES.write_text(json.dumps(figures))


def complete_peers() -> dict:
    """Every system in every round, and a kill -9 count for Celery and every peer (the shape of peers.PeerFigures)."""
    names = [peers.CELERY_DEFAULT, peers.CELERY_TOP, *(p.name for p in peers.PEERS)]
    kills = {name: {"sent": 6, "running": 1, "completed": 5, "started": 6, "waiting": 0}
             for name in ["Celery", *(p.name for p in peers.PEERS)]}
    kills["Celery"].update(running=2, completed=0, waiting=4)
    return {"tasks": 30, "trips": 3, "rounds": ROUNDS, "rates": {name: [100.0] * ROUNDS for name in names},
            "kills": kills}


def test_the_peers_stage_check_passes_on_complete_figures(course, peers_file):
    peers_file(complete_peers())
    result = run_check(course, "peers-measured")
    assert_passes(result)
    assert result.detail == (f"4 peers beside Celery in {ROUNDS} rounds; lost to kill -9: Celery 2, RQ 1, Dramatiq 1, "
                             "Huey 1, arq 1")


def test_no_peers_run_is_named(course, peers_file):
    result = run_check(course, "peers-measured")
    assert_fails_with(result, course, "no-peers")
    assert "make bench-peers" in result.hint and "the peers have not been measured" in result.detail


def test_peers_figures_of_another_version_are_named(course, peers_file):
    figures = complete_peers()
    del figures["rates"]["Huey"]
    del figures["kills"]["arq"]
    peers_file(figures)
    result = run_check(course, "peers-measured")
    assert_fails_with(result, course, "no-peers")
    assert "has no figure in every round for Huey, the kill -9 count of arq" in result.detail
    peers.FIGURES.write_text('{"tasks": 1}')  # not even the shape of the peers' figures
    result = run_check(course, "peers-measured")
    assert_fails_with(result, course, "no-peers")
    assert "is not the peers' figures" in result.detail
