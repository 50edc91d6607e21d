"""The checks of lesson 12's Flower: where it listens, that it asks for a login, what it has seen."""

from __future__ import annotations

import ipaddress
import json
import urllib.error
from pathlib import Path

from .. import paths
from ..services import http_request
from .base import Failed, Stage, check

LISTEN = "0A"  # a socket's state in /proc/net/tcp{,6}: listening


def listening(port: int, tables: tuple[str, ...] = ("/proc/net/tcp", "/proc/net/tcp6")) -> list[str]:
    """The local addresses of every socket listening on `port` in this network namespace, read from the
    kernel's socket tables (no connection is made)."""
    found = []
    for table in tables:
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:  # no IPv6 here
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, port_hex = local.split(":")
            if state == LISTEN and int(port_hex, 16) == port:
                found.append(str(kernel_address(address)))
    return found


def kernel_address(hexed: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as /proc/net/tcp{,6} writes it: 32-bit words in the host's byte order (little-endian here)."""
    raw = bytes.fromhex(hexed)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def _get(port: int, path: str, password: str | None = None) -> tuple[int, bytes]:
    try:
        return http_request(port, path, password, timeout=5)
    except (TimeoutError, urllib.error.URLError) as error:
        raise Failed("flower-down", f"no answer from 127.0.0.1:{port}: {getattr(error, 'reason', error)}") from None


def _password() -> str:
    try:
        return paths.password_file("flower").read_text().strip()
    except OSError:
        raise Failed("flower-password", f"{paths.password_file('flower')} cannot be read") from None


def loopback_only(port: int, down: str, exposed: str) -> str:
    """Something listens on `port`, on loopback addresses only; else the cause `down` or `exposed`."""
    addresses = listening(port)
    if not addresses:
        raise Failed(down, f"nothing listens on port {port}")
    beyond = [a for a in addresses if not ipaddress.ip_address(a).is_loopback]
    if beyond:
        where = "every interface" if {"0.0.0.0", "::"} & set(beyond) else "beyond loopback"
        raise Failed(exposed, f"port {port} listens on {', '.join(sorted(set(beyond)))} ({where})")
    return f"port {port} listens on {', '.join(sorted(set(addresses)))} only"


@check
def flower_on_loopback(stage: Stage, port: int) -> str:
    return loopback_only(port, "flower-down", "flower-exposed")


@check
def flower_login(stage: Stage, port: int) -> str:
    status, _ = _get(port, "/")
    if status == 200:
        raise Failed("flower-no-login", f"http://127.0.0.1:{port}/ answers 200 without a password")
    if status != 401:
        raise Failed("flower-down", f"http://127.0.0.1:{port}/ answers {status}: is it Flower?")
    status, _ = _get(port, "/", _password())
    if status != 200:
        raise Failed("flower-password", f"with the password in {paths.password_file('flower')}: HTTP {status}")
    return "HTTP 401 without a password, 200 with the password of flower.sh's user learner"


@check
def flower_saw_task(stage: Stage, port: int, task: str) -> str:
    status, body = _get(port, f"/api/tasks?taskname={task}&state=SUCCESS&limit=1", _password())
    if status != 200:
        raise Failed("flower-password", f"Flower's API answers {status}")
    seen = json.loads(body or b"{}")
    if not seen:
        raise Failed("no-task-events", f"Flower knows no {task} in state SUCCESS")
    uuid, info = next(iter(seen.items()))
    return f"Flower saw {task}[{uuid}] succeed on {info.get('worker')}"
