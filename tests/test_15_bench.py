"""Lesson 15's ladder runs for real on tiny sizes and reports every rung (its figures are read, never asserted on
as times), writes its figures and its chart; the stage check passes on that run and fails, with its hint, without
one or with the figures of another version of the ladder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import REPO, assert_fails_with, assert_passes, run_check
from courselab import ladder, ladder_view, profiling


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """scripts/bench.py (make bench, the ladder) on tiny sizes, its figures and chart in a folder of the test's own."""
    where = tmp_path_factory.mktemp("ladder")
    proc = subprocess.run([sys.executable, "scripts/bench.py", "--tasks", "40", "--trips", "5", "--chunk", "10",
                           "--json", str(where / "ladder.json"), "--chart", str(where / "ladder.png")],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return where, proc.stdout


def test_the_ladder_reports_every_rung_and_its_ceilings(tiny_run):
    where, out = tiny_run
    rungs = ladder.rungs(10)
    for i, rung in enumerate(rungs):
        assert f"{i} {rung.name}" in out and f"{i} {ladder_view.short(rung)}: {rung.change}" in out
    for row in ("raw Redis: redis-benchmark LPUSH", "raw Redis: redis-benchmark -P 16", "raw Redis: redis-py LPUSH",
                "raw Redis: redis-py, pipelined", "raw Redis: redis-py INCR", "ceiling: publish only",
                "ceiling: drain"):
        assert row in out
    assert "(goal ≥ 2.5×)" in out and "(goal ≥ 20×)" in out and "(goal ≤ 0.55×)" in out
    figures = json.loads((where / "ladder.json").read_text())
    assert sorted(figures["rates"]) == sorted(r.name for r in rungs)
    assert all(v > 0 for v in [*figures["rates"].values(), *figures["raw"].values(), *figures["ceilings"].values()])
    assert sorted(figures["trips_ms"]) == sorted(r.name for r in rungs if not r.chunk)
    assert (where / "ladder.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_the_hiredis_rungs_have_hiredis(tiny_run):
    where, out = tiny_run
    rungs = ladder.rungs(10)
    parsers = json.loads((where / "ladder.json").read_text())["parsers"]
    for rung in rungs:  # as asked in each rung's worker environment, by a process started with it
        assert parsers[rung.name].startswith("hiredis 3.") if rung.hiredis else parsers[rung.name] == "Python"
    first = next(i for i, x in enumerate(rungs) if x.hiredis)
    assert f"Python in rungs {' '.join(str(i) for i in range(first))}; hiredis 3." in out


def test_the_io_bound_task_runs_on_every_pool(tiny_run):
    where, out = tiny_run
    figures = json.loads((where / "ladder.json").read_text())
    assert figures["io_tasks"] == 20 and sorted(figures["io_rates"]) == sorted(p[0] for p in ladder.POOLS)
    assert all(rate > 0 for rate in figures["io_rates"].values())
    assert "An I/O-bound task: 20 × slow.wait(50 ms)" in out
    for name, _options, concurrency in ladder.POOLS:
        assert re.search(rf"│ {re.escape(name)} +│ +{concurrency} │", out), name


def test_the_profile_counts_what_the_chunks_worker_did(tiny_run):
    where, out = tiny_run
    figures = json.loads((where / "ladder.json").read_text())
    # 40 calls in chunks of 10: 4 messages, each 10 calls of tick, and each call's INCR a command sent to Redis
    assert figures["per_message"]["calls of tick"] == 10
    assert figures["per_message"]["Redis commands"] >= 10
    for shares in (figures["worker_shares"], figures["client_shares"]):
        assert list(shares) == [s for s, _ in profiling.SHARES] + [profiling.OTHER]
        assert abs(sum(shares.values()) - 1) < 1e-6
    assert figures["worker_shares"]["waiting on a Redis reply (socket reads)"] > 0  # the INCRs' replies
    assert "Where the time goes" in out and "the profiled chunks, per message: 10 calls of tick" in out
    for prof in ("worker-chunks.prof", "client-get.prof"):  # kept beside the figures, for python -m pstats
        assert profiling.load(where / prof)


def test_the_stage_passes_on_a_finished_run(tiny_run, course, monkeypatch):
    where, _ = tiny_run
    monkeypatch.setattr(ladder, "FIGURES", where / "ladder.json")
    monkeypatch.setattr(ladder, "CHART", where / "ladder.png")
    result = run_check(course, "ladder-measured")
    assert_passes(result)
    assert f"{len(ladder.rungs(10))} rungs measured (40 tasks per burst)" in result.detail


def test_no_run_is_named(course, monkeypatch, tmp_path):
    monkeypatch.setattr(ladder, "FIGURES", tmp_path / "ladder.json")
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "make bench" in result.hint and "the ladder has not been measured" in result.detail


def test_figures_of_another_ladder_are_named(tiny_run, course, monkeypatch, tmp_path):
    where, _ = tiny_run
    figures = json.loads((where / "ladder.json").read_text())
    del figures["rates"]["+ solo pool"]  # as if measured before the course added that rung
    (tmp_path / "ladder.json").write_text(json.dumps(figures))
    monkeypatch.setattr(ladder, "FIGURES", tmp_path / "ladder.json")
    monkeypatch.setattr(ladder, "CHART", where / "ladder.png")
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "has no figure for + solo pool" in result.detail
    del figures["io_rates"]["gevent -c 50"]  # nor the I/O-bound task on gevent
    (tmp_path / "ladder.json").write_text(json.dumps(figures))
    result = run_check(course, "ladder-measured")
    assert_fails_with(result, course, "no-ladder")
    assert "has no figure for + solo pool, the I/O-bound task on gevent -c 50" in result.detail
