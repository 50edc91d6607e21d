"""The benchmark runs for real and reports every figure (its numbers are read, never asserted on)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO


def test_bench_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "scripts/bench-trip.py", "-n", "20", "--tasks", "50", "--polls", "1",
                           "--json", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(out.read_text())
    for key in ("redis_ping", "redis_list_roundtrip", "celery_roundtrip", "celery_article_polling"):
        assert figures[key]["n"] > 0 and figures[key]["median_ms"] > 0
    assert figures["celery_throughput_per_s"] > 0 and figures["redis_list_throughput_per_s"] > 0
    assert "× raw Redis" in proc.stdout and "Celery add.delay(2, 2).get()" in proc.stdout
