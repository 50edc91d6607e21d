#!/usr/bin/env python3
"""JupyterLab on notebooks/, with the course's venv as the kernel, on loopback only.

    make notebook                       # or: .venv/bin/python scripts/notebook.py [--port 8888]

The notebooks name the kernel "python3": started from the venv, JupyterLab finds the venv's own
ipykernel under that name, so the kernel is the venv's Python with Celery and redis-py. Each
notebook starts its own Redis and workers and stops them in its last cell, at kernel shutdown, and
when the kernel dies. Stop JupyterLab with Ctrl-C (twice, or once and answer y).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CELERY_LAB_JUPYTER_PORT", 8888)))
    parser.add_argument("--ip", default=os.environ.get("CELERY_LAB_JUPYTER_IP", "127.0.0.1"),
                        help="listen address (default 127.0.0.1; the VM's service keeps that too)")
    parser.add_argument("extra", nargs="*", help="more options for jupyter lab")
    args = parser.parse_args()
    jupyter = Path(sys.executable).with_name("jupyter")
    argv = [str(jupyter), "lab", f"--notebook-dir={REPO / 'notebooks'}", f"--ServerApp.ip={args.ip}",
            f"--ServerApp.port={args.port}", "--ServerApp.open_browser=False", *args.extra]
    if os.geteuid() == 0:  # a throw-away VM or container run as root; JupyterLab refuses root without this
        argv.append("--allow-root")
    print("$", " ".join(argv), flush=True)
    os.execv(argv[0], argv)  # JupyterLab itself: Ctrl-C reaches it, and it shuts its kernels down


if __name__ == "__main__":
    main()
