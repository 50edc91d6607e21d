"""The course's stages and failure causes, read from stages.toml (the one place they are declared)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import i18n, paths


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
    title_zh: str = ""
    needs: str | None = None  # "root": its lesson's commands take root (sudo), or a private namespace's root

    def title_in(self, lang: str | None = None) -> str:
        """The title in the checker's language (i18n.language() unless given)."""
        return self.title_zh if i18n.chinese(lang) and self.title_zh else self.title


@dataclass(frozen=True)
class Cause:
    id: str
    hint: str
    section: str
    lesson: str | None = None
    patterns: tuple[str, ...] = field(default=())
    hint_zh: str = ""

    def where(self, stage_lesson: str | None = None, lang: str | None = None) -> str:
        """The lesson section that fixes this cause, as a path and a heading: in Chinese, the Chinese edition's
        heading of the same section, where the lesson has a Chinese edition."""
        lesson = self.lesson or stage_lesson or "?"
        if i18n.chinese(lang):
            zh_title = _zh_section(lesson, self.section)
            if zh_title:
                return i18n.say("section", i18n.ZH, lesson=lesson, section=zh_title)
        return i18n.say("section", i18n.EN, lesson=lesson, section=self.section)

    def hint_for(self, lesson: str, app: str = "server", lang: str | None = None) -> str:
        """The hint, in the checker's language, with the course's actual port, prefix and version filled in."""
        hint = self.hint_zh if i18n.chinese(lang) and self.hint_zh else self.hint
        return hint.format(port=paths.redis_port(), prefix=paths.show(paths.redis_prefix()),
                           version=paths.default_redis_version(), lesson=lesson, app=app)

    def explain(self, lesson: str, app: str = "server") -> str:
        """Hint and the lesson section that fixes it, for error messages."""
        return f"{self.hint_for(lesson, app)}\n  -> {self.where(lesson)}"


def _zh_section(lesson: str, section: str) -> str | None:
    """The Chinese heading of an English section of a lesson, found by position (None: no Chinese edition)."""
    from . import zh_edition  # it reads lesson texts: only needed here

    en = paths.LESSONS / lesson / "README.md"
    zh = en.with_name(zh_edition.ZH_NAME)
    if not (en.is_file() and zh.is_file()):
        return None
    return zh_edition.section_title(en.read_text(), zh.read_text(), section)


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
            title_zh=s.get("title_zh", ""),
            needs=s.get("needs"),
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
            hint_zh=c.get("hint_zh", ""),
        )
        for cid, c in data["causes"].items()
    }
    return Course(stages=stages, causes=causes)


@cache
def load(path: Path = paths.STAGES_FILE) -> Course:
    with open(path, "rb") as f:
        return parse(tomllib.load(f))
