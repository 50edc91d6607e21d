#!/usr/bin/env python3
"""JupyterLab on notebooks/, with the course's venv as the kernel, on loopback only, behind a token.

    make notebook                       # or: .venv/bin/python scripts/notebook.py [--port 8888]

The notebooks name the kernel "python3": started from the venv, JupyterLab finds the venv's own
ipykernel under that name, so the kernel is the venv's Python with Celery and redis-py. Each
notebook starts its own Redis and workers and stops them in its last cell, at kernel shutdown, and
when the kernel dies. Stop JupyterLab with Ctrl-C (twice, or once and answer y).

Login: with JUPYTER_TOKEN_FILE set (the VM's service), the token is read from that file, which must
exist and hold one (else nothing starts: jupyter_server would run without any login on an empty
token); it reaches JupyterLab through its environment, never its command line, which anyone on the
machine can read with `ps`. Without it, JupyterLab makes a random token and prints its login URL.
A listen address beyond loopback is refused unless asked for with --beyond-loopback.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIN_TOKEN = 16
# options that would undo what is checked here: a token (in argv, or empty) and the address
GUARDED = ("--IdentityProvider.token", "--ServerApp.token", "--NotebookApp.token", "--ServerApp.ip", "--ip",
           "--IdentityProvider.password_required", "--ServerApp.password")


def refuse(message: str) -> None:
    print(f"notebook.py: {message}", file=sys.stderr)
    sys.exit(2)


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip.strip("[]")).is_loopback
    except ValueError:
        return False


def token_from_environment(env: dict[str, str]) -> str | None:
    """The token JupyterLab must use (None: let it make one); refuses a missing or empty one."""
    if "JUPYTER_TOKEN" in env:
        token = env["JUPYTER_TOKEN"].strip()
        source = "JUPYTER_TOKEN"
    elif "JUPYTER_TOKEN_FILE" in env:
        source = f"JUPYTER_TOKEN_FILE ({env['JUPYTER_TOKEN_FILE']})"
        try:
            token = Path(env["JUPYTER_TOKEN_FILE"]).read_text().strip()
        except OSError as e:
            refuse(f"cannot read the token: {source}: {e.strerror}. JupyterLab is not started: without a "
                   "token it would take no login (lesson 01, section '5. JupyterLab: only your host's loopback')")
    else:
        return None
    if len(token) < MIN_TOKEN:
        refuse(f"the token from {source} is {'empty' if not token else f'{len(token)} characters'}; it needs "
               f"at least {MIN_TOKEN}. JupyterLab is not started: an empty token means no login at all "
               "(lesson 01, section '5. JupyterLab: only your host's loopback')")
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CELERY_LAB_JUPYTER_PORT", 8888)))
    parser.add_argument("--ip", default=os.environ.get("CELERY_LAB_JUPYTER_IP", "127.0.0.1"),
                        help="listen address (default 127.0.0.1; the VM's service keeps that too)")
    parser.add_argument("--beyond-loopback", action="store_true",
                        help="allow an --ip that is not a loopback address (anyone who reaches it gets a "
                             "login page, and with the token, a shell)")
    parser.add_argument("extra", nargs="*", help="more options for jupyter lab")
    args = parser.parse_args()
    if not is_loopback(args.ip) and not args.beyond_loopback:
        refuse(f"--ip {args.ip} is not a loopback address: JupyterLab runs code, and its terminals are a "
               "shell. Keep 127.0.0.1 and forward the port over ssh (lesson 01, section '5. JupyterLab: only "
               "your host's loopback'), or add --beyond-loopback if you mean it.")
    guarded = [arg for arg in args.extra if arg.split("=", 1)[0] in GUARDED]
    if guarded:
        refuse(f"{' '.join(guarded)}: set the token with JUPYTER_TOKEN_FILE and the address with --ip "
               "(a token on the command line can be read by anyone with `ps`)")
    env = dict(os.environ)
    token = token_from_environment(env)
    env.pop("JUPYTER_TOKEN_FILE", None)
    if token is not None:
        env["JUPYTER_TOKEN"] = token  # jupyter_server's IdentityProvider reads it; not in argv
    jupyter = Path(sys.executable).with_name("jupyter")
    argv = [str(jupyter), "lab", f"--notebook-dir={REPO / 'notebooks'}", f"--ServerApp.ip={args.ip}",
            f"--ServerApp.port={args.port}", "--ServerApp.open_browser=False", *args.extra]
    if os.geteuid() == 0:  # a throw-away VM or container run as root; JupyterLab refuses root without this
        argv.append("--allow-root")
    print("$", " ".join(argv), flush=True)
    os.execve(argv[0], argv, env)  # JupyterLab itself: Ctrl-C reaches it, and it shuts its kernels down


if __name__ == "__main__":
    main()
