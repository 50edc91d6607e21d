#!/usr/bin/env python3
"""JupyterLab on notebooks/, with the course's venv as the kernel, on loopback only, behind a token.

    make notebook                       # or: .venv/bin/python scripts/notebook.py [--port 8888]

The notebooks name the kernel "python3": started from the venv, JupyterLab finds the venv's own
ipykernel under that name, so the kernel is the venv's Python with Celery and redis-py. Each
notebook starts its own Redis and workers and stops them in its last cell, at kernel shutdown, and
when the kernel dies. Stop JupyterLab with Ctrl-C (twice, or once and answer y).

Login: always a token. With JUPYTER_TOKEN_FILE set (the VM's service) it is read from that file, which
must exist and hold one; else this script makes a random one. It reaches JupyterLab as in-process
configuration: never on a command line (which anyone on the machine can read with `ps`) and never in
the environment that its kernels, terminals and the workers they start inherit. JupyterLab runs in
this process, and does not start when its effective configuration (a ~/.jupyter file, say) would
take no token, listen beyond loopback, accept other origins or skip its XSRF checks.
A listen address beyond loopback is refused unless asked for with --beyond-loopback.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIN_TOKEN = 16
SECTION = "lesson 01, section '5. JupyterLab: only your host's loopback'"
# options that would undo what is checked here: the token, the address, another login, other origins, no
# XSRF checks, or a configuration file of their choosing
GUARDED = ("--IdentityProvider.token", "--ServerApp.token", "--NotebookApp.token", "--ServerApp.ip", "--ip",
           "--IdentityProvider.password_required", "--ServerApp.password", "--PasswordIdentityProvider.hashed_password",
           "--config", "--ServerApp.config_file", "--ServerApp.allow_origin", "--ServerApp.allow_origin_pat",
           "--ServerApp.disable_check_xsrf", "--ServerApp.identity_provider_class", "--ServerApp.allow_remote_access",
           "--ServerApp.authorizer_class", "--ServerApp.login_handler_class")


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
                   f"token it would take no login ({SECTION})")
    else:
        return None
    if len(token) < MIN_TOKEN:
        refuse(f"the token from {source} is {'empty' if not token else f'{len(token)} characters'}; it needs "
               f"at least {MIN_TOKEN}. JupyterLab is not started: an empty token means no login at all "
               f"({SECTION})")
    return token


def unsafe_settings(server) -> list[str]:
    """What in JupyterLab's effective configuration (files, options) undoes a token on loopback."""
    unsafe = []
    provider = server.identity_provider
    if not getattr(provider, "auth_enabled", False) or not getattr(provider, "token", ""):
        unsafe.append(f"no token login ({type(provider).__name__})")
    if not is_loopback(server.ip):
        unsafe.append(f"ServerApp.ip = {server.ip!r}")
    if server.allow_origin or server.allow_origin_pat:
        unsafe.append(f"ServerApp.allow_origin = {server.allow_origin or server.allow_origin_pat!r}")
    if server.disable_check_xsrf:
        unsafe.append("ServerApp.disable_check_xsrf = True")
    if server.allow_remote_access:
        unsafe.append("ServerApp.allow_remote_access = True")
    return unsafe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CELERY_LAB_JUPYTER_PORT", 8888)))
    parser.add_argument("--ip", default=os.environ.get("CELERY_LAB_JUPYTER_IP", "127.0.0.1"),
                        help="listen address (default 127.0.0.1; the VM's service keeps that too)")
    parser.add_argument("--beyond-loopback", action="store_true",
                        help="allow an --ip that is not a loopback address (anyone who reaches it gets a "
                             "login page, and with the token, a shell)")
    parser.add_argument("--course", type=Path, default=REPO,
                        help="the course folder whose notebooks/ JupyterLab serves (default: this one; the VM's "
                             "service: its own copy)")
    parser.add_argument("extra", nargs="*", help="more options for jupyter lab")
    args = parser.parse_args()
    if not is_loopback(args.ip) and not args.beyond_loopback:
        refuse(f"--ip {args.ip} is not a loopback address: JupyterLab runs code, and its terminals are a "
               f"shell. Keep 127.0.0.1 and forward the port over ssh ({SECTION}), or add --beyond-loopback if "
               "you mean it.")
    guarded = [arg for arg in args.extra if arg.split("=", 1)[0] in GUARDED]
    if guarded:
        refuse(f"{' '.join(guarded)}: these would undo JupyterLab's login or its checks; the token comes from "
               "JUPYTER_TOKEN_FILE (or is made here), the address from --ip")
    notebooks = args.course.resolve() / "notebooks"
    if not notebooks.is_dir():
        refuse(f"--course {args.course}: no notebooks/ folder there")
    token = token_from_environment(dict(os.environ))
    made_here = token is None
    if made_here:
        token = secrets.token_hex(24)
    for name in ("JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE"):  # kernels, terminals and workers inherit this environment
        os.environ.pop(name, None)
    argv = [f"--notebook-dir={notebooks}", f"--ServerApp.ip={args.ip}", f"--ServerApp.port={args.port}",
            "--ServerApp.open_browser=False", *args.extra]
    if os.geteuid() == 0:  # a throw-away VM or container run as root; JupyterLab refuses root without this
        argv.append("--allow-root")
    print("$ jupyter lab", " ".join(argv), flush=True)
    # the token as an option given in-process: the highest priority of JupyterLab's configuration, in no argv
    from jupyterlab.labapp import LabApp

    server = LabApp.initialize_server(argv=[*argv, f"--IdentityProvider.token={token}"])
    unsafe = unsafe_settings(server)
    if unsafe:
        refuse(f"JupyterLab's configuration would undo its login or its checks: {'; '.join(unsafe)} (from a "
               f"config file in {', '.join(server.config_file_paths)}?). Not started ({SECTION}).")
    # a token made here is printed in the login URL at start, as JupyterLab prints one it makes; one from a
    # file (the VM's service, whose output goes to the journal) is shown as "..."
    server.identity_provider.token_generated = made_here
    server.start()  # Ctrl-C reaches it, and it shuts its kernels down


if __name__ == "__main__":
    main()
