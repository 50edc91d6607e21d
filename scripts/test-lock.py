#!/usr/bin/env python3
"""`make test-lock`: does requirements.txt install, hashes checked, on every Python and machine it promises?

For each CPython of its header's `# Pythons:` line on Linux x86-64 and aarch64, pip's own resolver fetches
the lock exactly as `make venv` installs it (--require-hashes, wheels only) but for that target
(--python-version, --platform: Debian 12's glibc or older) — so a wheel missing for a target, or a file whose
hash the lock lacks, fails here with pip's own message ("THESE PACKAGES DO NOT MATCH THE HASHES"), not on a
learner's machine. Downloads only (pip's cache keeps them for the next run); nothing is installed.
requirements-hiredis.txt, requirements-peers.txt (lesson 15's peers) and requirements-uv.txt (the VM's installer) are
fetched the same way.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lock import ARCHES, PYTHONS, REPO, platforms
from rich.console import Console
from rich.table import Table


def fetch(python: str, arch: str, lock: str, dest: Path) -> subprocess.CompletedProcess:
    plats = [option for plat in platforms(arch) for option in ("--platform", plat)]
    apart = ["--no-deps"] if lock != "requirements.txt" else []  # hiredis, the peers and uv: pinned one by one
    return subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--require-hashes",
                           "--only-binary=:all:", "--implementation", "cp", "--python-version", python, *plats,
                           *apart, "-d", str(dest), "-r", str(REPO / lock)],
                          capture_output=True, text=True)


def fetch_all(python: str, arch: str) -> tuple[list[subprocess.CompletedProcess], int, float]:
    """Every lock file for one target, into a folder of its own: pip's results, the wheels fetched, the seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        results = [fetch(python, arch, lock, Path(tmp))
                   for lock in ("requirements.txt", "requirements-hiredis.txt", "requirements-peers.txt",
                                "requirements-uv.txt")]
        return results, len(list(Path(tmp).glob("*.whl"))), time.monotonic() - start


def main() -> int:
    header = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line.startswith("# Pythons:")]
    if not header or header[0].split(":")[1].split() != list(PYTHONS):
        print("test-lock: requirements.txt does not name the Pythons lock.py serves: make lock", file=sys.stderr)
        return 1
    console = Console()
    table = Table(title="requirements.txt, fetched by pip for each target (--require-hashes)", title_justify="left")
    for column in ("target", "wheels", "seconds", "result"):
        table.add_column(column)
    failed = []
    targets = [(python, arch) for python in PYTHONS for arch in ARCHES]
    # two pips at a time (the resolver is most of each: CPU, not the network); the table keeps the targets' order
    with ThreadPoolExecutor(max_workers=2) as pool:
        fetched = list(pool.map(lambda target: fetch_all(*target), targets))
    for (python, arch), (results, wheels, seconds) in zip(targets, fetched, strict=True):
        bad = [r for r in results if r.returncode != 0]
        table.add_row(f"CPython {python} on {arch}", str(wheels), f"{seconds:.0f}",
                      "[red]refused[/]" if bad else "[green]ok[/]")
        failed += [(f"CPython {python} on {arch}", r.stderr.strip()[-1500:]) for r in bad]
    console.print(table)
    for target, why in failed:
        console.print(f"\n[red]{target}:[/] pip refused the lock:\n{why}", highlight=False)
    if failed:
        console.print("\nRe-pin with `make lock` (scripts/lock.py): it checks each target's wheels.", style="red")
        return 1
    console.print(f"[green]The lock installs on every target:[/] CPython {', '.join(PYTHONS)}, {' and '.join(ARCHES)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
