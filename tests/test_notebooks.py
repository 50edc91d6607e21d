"""The notebooks: one per lesson, committed clean, and their processes stopped even when the kernel
stops early. (Executing them, every cell, is nbmake's job: `make test` runs pytest over notebooks/.)"""

from __future__ import annotations

import json
import os
import re
import time

import nbformat
import pytest
from courselab import paths
from courselab.services import alive, group_members
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def test_one_notebook_per_lesson():
    lessons = sorted(p.name for p in paths.LESSONS.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))
    assert [p.stem for p in NOTEBOOKS] == lessons


@pytest.mark.parametrize("folder, contents", [(paths.NOTEBOOKS, "[Contents](../README.md)"),
                                              (paths.NOTEBOOKS / "zh-CN", "[目录](../../README.zh-CN.md)")],
                         ids=["en", "zh-CN"])
def test_each_notebook_opens_with_its_number_and_its_neighbours(folder, contents):
    """Under the title (# NN · …, NN the file's), a line: ← the previous notebook · the contents · the next one →,
    each named by its title — so that a lesson renumbered or split cannot leave a stale link."""
    notebooks = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
    firsts = {p: nbformat.read(p, as_version=4).cells[0].source.split("\n") for p in notebooks}
    titles = {p: lines[0].removeprefix("# ") for p, lines in firsts.items()}
    for i, path in enumerate(notebooks):
        assert titles[path].startswith(f"{path.name[:2]} · "), f"{path.name}: title {titles[path]!r}"
        nav = ([f"[← {titles[notebooks[i - 1]]}]({notebooks[i - 1].name})"] if i else []) + [contents] + \
            ([f"[{titles[notebooks[i + 1]]} →]({notebooks[i + 1].name})"] if i + 1 < len(notebooks) else [])
        assert firsts[path][2] == " · ".join(nav), f"{path.name}: its navigation line"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    # the last cell stops what the notebook started
    assert nb.cells[-1].source.startswith("lab.stop()")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_long_cells_are_tagged_not_deleted(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "make -C .redis/build" in cell.source and " test" in cell.source:
            assert "skip-execution" in cell.metadata.get("tags", [])


def run(client, code: str) -> str:
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda msg: None, store_history=False)
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply


def started_pids(client) -> list[int]:
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    client.execute_interactive("print(json.dumps([p.pid for p in lab.services.started]))", timeout=60,
                               output_hook=hook)
    return json.loads("".join(out))


SETUP = f"""
import json, sys
sys.path.insert(0, {str(paths.SCRIPTS)!r})
from courselab.lab import Lab
lab = Lab("kernel-test")
r = lab.redis()
lab.worker("05", "server")
"""


@pytest.mark.parametrize("how", ["shutdown", "killed"])
def test_processes_stop_when_the_kernel_stops_early(how):
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(paths.NOTEBOOKS))
    try:
        run(client, SETUP)
        pids = started_pids(client)
        assert len(pids) == 2 and all(alive(p) for p in pids)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=(how == "killed"))  # "killed": SIGKILL, no atexit in the kernel
    # each process leads its own group (the worker's pool children are in it): all of it must end
    deadline = time.monotonic() + 30
    while any(group_members(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if group_members(p)], f"left running after the kernel was {how}"


def test_make_notebook_serves_jupyterlab_on_loopback_behind_a_token(tmp_path):
    import secrets
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from courselab.services import free_port

    port = free_port()
    token = secrets.token_hex(24)
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    log = tmp_path / "jupyter.log"
    env = {**os.environ, "JUPYTER_TOKEN_FILE": str(token_file)}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "scripts/notebook.py", "--port", str(port)], cwd=paths.REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status",
                                                 headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(request, timeout=2) as reply:
                    status = json.loads(reply.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert status is not None, log.read_text()[-2000:]
        assert "started" in status
        # without the token: 403, not the status
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5)
            raise AssertionError("JupyterLab answered without a token")
        except urllib.error.HTTPError as e:
            assert e.code == 403
        listening = [line for line in open("/proc/net/tcp").read().splitlines()[1:]
                     if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"]
        assert listening and all(line.split()[1].startswith("0100007F:") for line in listening), listening
        # the token is in no command line (ps), nor in JupyterLab's log
        assert token not in open(f"/proc/{proc.pid}/cmdline").read()
        assert token not in log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode is not None
