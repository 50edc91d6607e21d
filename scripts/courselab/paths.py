"""Where things are: the repository, the lessons, the course's Redis, and which port it uses."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"
NOTEBOOKS = REPO / "notebooks"
SCRIPTS = REPO / "scripts"
STAGES_FILE = REPO / "stages.toml"
RELEASES_FILE = SCRIPTS / "redis-releases.txt"
RUN = REPO / ".run"  # runtime state of the tour and the tests (ignored by git)
DEFAULT_PORT = 6379


def lesson_dir(lesson: str) -> Path:
    """`lesson` is a folder name like '05-single-module-app', or just its number '05'."""
    direct = LESSONS / lesson
    if direct.is_dir():
        return direct
    matches = sorted(LESSONS.glob(f"{lesson}-*"))
    if len(matches) != 1:
        raise FileNotFoundError(f"no lesson folder {lesson!r} under {LESSONS}")
    return matches[0]


def default_redis_version() -> str:
    """The release marked 'default' in scripts/redis-releases.txt (what the build script builds)."""
    for line in RELEASES_FILE.read_text().splitlines():
        fields = line.split()
        if line.startswith("#") or len(fields) < 5 or fields[4] != "default":
            continue
        return fields[0].removeprefix("redis-").removesuffix(".tar.gz")
    raise ValueError(f"no release marked default in {RELEASES_FILE}")


def redis_prefix() -> Path:
    """Install prefix of the course's Redis: the repo's .redis/ folder, /usr/local in the VM."""
    env = os.environ.get("CELERY_LAB_REDIS_PREFIX")
    return Path(env) if env else REPO / ".redis" / f"redis-{default_redis_version()}"


def redis_workdir() -> Path:
    """Where scripts/build-redis.sh keeps downloads/ and build/: .redis/ here, REDIS_WORKDIR in the VM."""
    env = os.environ.get("REDIS_WORKDIR")  # the build script's own variable
    return Path(env) if env else REPO / ".redis"


def redis_bin(name: str = "redis-server") -> Path:
    return redis_prefix() / "bin" / name


def show(path: Path) -> str:
    """A path as the course's tools print it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def redis_port() -> int:
    """The port the course's Redis listens on: 6379 unless the tour or a test picked another."""
    return int(os.environ.get("CELERY_LAB_REDIS_PORT") or DEFAULT_PORT)


def system_redis() -> bool:
    """True in the VM: Redis runs as a systemd service; the tour neither starts nor stops it."""
    return os.environ.get("CELERY_LAB_SYSTEM_REDIS") == "1"


def password_file(page: str, home: Path | None = None) -> Path:
    """Where a lesson's script keeps the password of its web page's user `learner` (made once, mode 0600), in
    the home folder given, or $HOME's: lesson 12's flower.sh ("flower"), lesson 20's web.sh ("web")."""
    return (home or Path.home()) / ".config" / "celery-lab" / f"{page}-password"
