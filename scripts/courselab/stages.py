"""The course's stages and failure causes, read from stages.toml (the one place they are declared)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import paths


@dataclass(frozen=True)
class Check:
    id: str
    fn: str
    params: dict


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    lesson: str
    checks: tuple[Check, ...]
    only: str | None = None  # "vm": the stage applies only inside the course's VM; "host": only outside it


@dataclass(frozen=True)
class Cause:
    id: str
    hint: str
    section: str
    lesson: str | None = None
    patterns: tuple[str, ...] = field(default=())

    def where(self, stage_lesson: str | None = None) -> str:
        """The lesson section that fixes this cause, as a path and a heading."""
        lesson = self.lesson or stage_lesson or "?"
        return f"lessons/{lesson}/README.md, section '{self.section}'"

    def hint_for(self, lesson: str, app: str = "server") -> str:
        """The hint with the course's actual port, prefix and version filled in."""
        return self.hint.format(port=paths.redis_port(), prefix=paths.show(paths.redis_prefix()),
                                version=paths.default_redis_version(), lesson=lesson, app=app)

    def explain(self, lesson: str, app: str = "server") -> str:
        """Hint and the lesson section that fixes it, for error messages."""
        return f"{self.hint_for(lesson, app)}\n  -> {self.where(lesson)}"


@dataclass(frozen=True)
class Course:
    stages: tuple[Stage, ...]
    causes: dict[str, Cause]

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        known = ", ".join(s.id for s in self.stages)
        raise KeyError(f"no stage {stage_id!r}; the stages are: {known}")

    def match_cause(self, text: str) -> Cause | None:
        """The first cause whose patterns match `text` (an error message or a worker's log)."""
        for cause in self.causes.values():
            if any(re.search(p, text) for p in cause.patterns):
                return cause
        return None


def parse(data: dict) -> Course:
    stages = tuple(
        Stage(
            id=s["id"],
            title=s["title"],
            lesson=s["lesson"],
            checks=tuple(
                Check(id=c["id"], fn=c["fn"], params={k: v for k, v in c.items() if k not in ("id", "fn")})
                for c in s["checks"]
            ),
            only=s.get("only"),
        )
        for s in data["stages"]
    )
    causes = {
        cid: Cause(
            id=cid,
            hint=c["hint"],
            section=c["section"],
            lesson=c.get("lesson"),
            patterns=tuple(c.get("patterns", ())),
        )
        for cid, c in data["causes"].items()
    }
    return Course(stages=stages, causes=causes)


@cache
def load(path: Path = paths.STAGES_FILE) -> Course:
    with open(path, "rb") as f:
        return parse(tomllib.load(f))
