"""The machine's checks: the course's VM (lesson 01), Redis built (02) and running (03)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from .. import paths
from .base import Failed, Stage, check, redis_client

# --- stage: lab-vm (inside the course's VM only) ----------------------------------------------


@check
def vm_os(stage: Stage, os_id: str, version_id: str) -> str:
    release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
    )
    name = release.get("PRETTY_NAME", "?").strip('"')
    if release.get("ID") != os_id or release.get("VERSION_ID", "").strip('"') != version_id:
        raise Failed("not-in-vm", f"this is {name}, not {os_id} {version_id}")
    if not Path("/run/systemd/system").is_dir():
        raise Failed("not-in-vm", f"{name}, but systemd is not running this machine (no /run/systemd/system)")
    return f"{name} under systemd"


def systemctl(*args: str, cause: str = "service-down") -> str:
    """What `systemctl ARGS` prints; Failed(cause) when no systemd runs this machine to answer (lesson 01's redis
    service, lesson 21's units)."""
    if not shutil.which("systemctl"):
        raise Failed(cause, "no systemctl on this machine")
    if not Path("/run/systemd/system").is_dir():
        raise Failed(cause, "systemd does not run this machine: this stage is the VM's")
    done = subprocess.run(["systemctl", *args], capture_output=True, text=True, timeout=30)
    out, err = done.stdout.strip(), done.stderr.strip()
    if not out and err:  # e.g. "Failed to connect to bus": no answer at all
        raise Failed(cause, f"systemctl {' '.join(args)}: {err.splitlines()[-1]}")
    return out


@check
def vm_service(stage: Stage, unit: str) -> str:
    state = systemctl("is-active", unit)
    if state != "active":
        raise Failed("service-down", f"systemctl is-active {unit}: {state or 'unknown'}")
    return f"{unit}.service is active"


@check
def vm_service_binary(stage: Stage, unit: str, binary: str) -> str:
    exec_start = systemctl("show", "-p", "ExecStart", "--value", unit)
    if f"path={binary} " not in exec_start + " " and not exec_start.startswith(binary):
        raise Failed("service-down", f"{unit}.service runs {exec_start or 'nothing'}, not {binary}")
    owner = subprocess.run(["dpkg-query", "-S", binary], capture_output=True, text=True) \
        if shutil.which("dpkg-query") else None
    if owner is not None and owner.returncode == 0:
        raise Failed("packaged", f"{binary} belongs to the package {owner.stdout.split(':')[0]}")
    return f"{unit}.service runs {binary}, built from source (no package owns it)"


@check
def vm_redis_config(stage: Stage, expect: dict) -> str:
    r = redis_client()
    seen = {key: r.config_get(key).get(key) for key in expect}
    wrong = {k: v for k, v in seen.items() if v != expect[k]}
    if wrong:
        raise Failed("vm-config", f"CONFIG GET shows {wrong}, expected {expect}")
    return ", ".join(f"{k} {v}" for k, v in seen.items())


# --- stage: redis-built ----------------------------------------------------------------------


@check
def redis_binaries(stage: Stage, names: list[str]) -> str:
    missing = [n for n in names if not os.access(paths.redis_bin(n), os.X_OK)]
    if missing:
        raise Failed("not-built", f"missing in {paths.show(paths.redis_prefix())}/bin: {', '.join(missing)}")
    return f"{', '.join(names)} in {paths.show(paths.redis_prefix())}/bin"


@check
def redis_version(stage: Stage) -> str:
    binary = paths.redis_bin()
    if not os.access(binary, os.X_OK):
        raise Failed("not-built", f"no {binary}")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    want = paths.default_redis_version()
    if f"v={want} " not in out:
        raise Failed("wrong-version", f"{out!r} is not v={want}")
    return out


@check
def redis_not_packaged(stage: Stage) -> str:
    binary = paths.redis_bin().resolve()
    if not binary.exists():
        raise Failed("not-built", f"no {paths.show(binary)}")
    owner = subprocess.run(["dpkg-query", "-S", str(binary)], capture_output=True, text=True) \
        if shutil.which("dpkg-query") else None
    if owner is not None and owner.returncode == 0:
        raise Failed("packaged", f"{binary} belongs to the package {owner.stdout.split(':')[0]}")
    return f"{paths.show(binary)} belongs to no package: built here"


@check
def redis_with_tls(stage: Stage) -> str:
    binary = paths.redis_bin()
    if not os.access(binary, os.X_OK):
        raise Failed("not-built", f"no {binary}")
    # tls.c calls OpenSSL's SSL_CTX_new only in a build with BUILD_TLS=yes; a plain `make` leaves it out
    if b"SSL_CTX_new" not in binary.resolve().read_bytes():
        raise Failed("no-tls", f"{paths.show(binary)} has no OpenSSL in it")
    return f"{paths.show(binary)} has TLS (OpenSSL linked in)"


# --- stage: redis-running --------------------------------------------------------------------


@check
def redis_ping(stage: Stage) -> str:
    reply = redis_client().ping()
    return f"PING -> {'PONG' if reply else reply!r} on localhost:{paths.redis_port()}"


@check
def redis_set_get(stage: Stage, key: str, value: str) -> str:
    r = redis_client()
    r.set(key, value)
    got = r.get(key)
    if got != value.encode():
        raise Failed("redis-down", f"SET {key} {value} then GET {key} gave {got!r}")
    return f"SET {key} {value!r}; GET {key} -> {got.decode()!r}"


@check
def redis_save(stage: Stage) -> str:
    import redis

    r = redis_client()
    folder = Path(r.config_get("dir")["dir"])
    dump = folder / r.config_get("dbfilename")["dbfilename"]
    # LASTSAVE is Redis's time(NULL), which reads a coarse clock that may lag time.time() by a tick: a save
    # made a few milliseconds after a second began can say the second before (seen once in the tests).
    before = int(time.time()) - 1
    try:
        r.save()
    except redis.ResponseError as e:
        raise Failed("no-dump", f"SAVE into {paths.show(folder)} failed: {e}") from None
    if r.lastsave().timestamp() < before:
        raise Failed("no-dump", f"SAVE returned but LASTSAVE did not move: nothing written to {paths.show(dump)}")
    try:
        if not dump.is_file():
            raise Failed("no-dump", f"SAVE did not write {paths.show(dump)}")
        return f"SAVE wrote {paths.show(dump)}"
    except PermissionError:  # the VM's /var/lib/redis belongs to the redis user
        return f"SAVE wrote {dump} (LASTSAVE moved; the folder is not readable by you)"


LOOPBACK = re.compile(r"^-?(127\.\d+\.\d+\.\d+|::1|localhost)$")


def exposure(bind: list[str], protected: str) -> list[str]:
    """What makes a Redis reachable beyond loopback: non-loopback bind addresses, protected-mode off."""
    problems = [f"bind {b}" for b in bind if not LOOPBACK.match(b)]
    if not bind:
        problems.append("no bind (all interfaces)")
    if protected != "yes":
        problems.append(f"protected-mode {protected}")
    return problems


@check
def redis_loopback(stage: Stage) -> str:
    r = redis_client()
    bind = r.config_get("bind")["bind"].split()
    protected = r.config_get("protected-mode")["protected-mode"]
    problems = exposure(bind, protected)
    if problems:
        raise Failed("exposed", f"{', '.join(problems)} (bind {' '.join(bind) or '(none)'})")
    return f"bind {' '.join(bind)}, protected-mode {protected}"
