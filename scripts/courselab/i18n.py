"""The checker's language: English, or Simplified Chinese under a Chinese locale (docs/editions.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping

EN, ZH = "en", "zh-CN"


def language(environ: Mapping[str, str] | None = None) -> str:
    """The locale's language for messages, as POSIX picks it: the first of LC_ALL, LC_MESSAGES, LANG that is
    set and not empty. Chinese when it starts with "zh" (zh_CN.UTF-8, zh_TW, zh); English otherwise."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return ZH if value.lower().startswith("zh") else EN
    return EN


def chinese(lang: str | None = None) -> bool:
    """Whether to speak Chinese: `lang` when given, else the locale's language."""
    return (lang or language()) == ZH


# The checker's own words; what a check saw (its detail) stays as the program printed it.
WORDS = {
    "stages": ("celery-lab stages: {done}/{total} reached", "celery-lab 阶段：已达成 {done}/{total}"),
    "stage": ("stage", "阶段"),
    "lesson": ("lesson", "课"),
    "seen": ("what the checker saw", "检查器看到的"),
    "check": ("check", "检查"),
    "detail": ("detail", "详情"),
    "not reached": ("not reached", "未达成"),
    "no VM": ("no VM", "无虚拟机"),
    "host only": ("host only", "仅主机"),
    "vm only": ("applies inside the course's VM (lesson 01)", "只在课程的虚拟机里检查（第 01 课）"),
    "host path only": ("applies on the no-VM path (its hosts are network namespaces of this machine)",
                       "只在不用虚拟机的路径上检查（它的主机是本机的网络命名空间）"),
    "not run": ("not run: an earlier check failed", "未运行：前面的检查失败了"),
    "hint": ("hint: ", "提示："),
    "see": ("see:  ", "参见："),
    "next": ("next: ", "下一步："),
    "reached": ("Stage {id} reached.", "已达成阶段 {id}。"),
    "all reached": ("Every stage reached.", "所有阶段均已达成。"),
    "section": ("lessons/{lesson}/README.md, section '{section}'",
                "lessons/{lesson}/README.zh-CN.md，小节「{section}」"),
}


def say(key: str, lang: str | None = None, **fields: object) -> str:
    en, zh = WORDS[key]
    return (zh if chinese(lang) else en).format(**fields)
