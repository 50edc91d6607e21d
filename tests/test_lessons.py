"""The lessons as documents: the code they show is the code that runs, and their links hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from courselab import paths

LESSONS = sorted(p for p in paths.LESSONS.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.S | re.M)
CODE_SUFFIXES = {".py", ".conf", ".sh", ".service", ".env"}


def blocks(readme: Path) -> list[tuple[str, str]]:
    return [(m["info"].strip(), m["body"]) for m in FENCE.finditer(readme.read_text())]


def shown_files(lesson: Path) -> dict[str, str]:
    """Blocks marked ```python file=server.py: the file name and the code shown."""
    shown = {}
    for info, body in blocks(lesson / "README.md"):
        m = re.search(r"\bfile=(\S+)", info)
        if m:
            shown[m[1]] = body
    return shown


def code_files(lesson: Path) -> list[Path]:
    return sorted(p for p in lesson.rglob("*") if p.suffix in CODE_SUFFIXES and not p.is_symlink()
                  and "__pycache__" not in p.parts)


def test_lessons_00_to_07_exist():
    assert [p.name[:2] for p in LESSONS][:8] == [f"{n:02d}" for n in range(8)]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_shown_code_is_the_code_that_runs(lesson):
    shown = shown_files(lesson)
    for name, body in shown.items():
        assert (lesson / name).is_file(), f"{lesson.name}/README.md shows {name}, which does not exist"
        assert body == (lesson / name).read_text(), f"{lesson.name}/README.md shows another {name} than the file"
    for path in code_files(lesson):
        rel = str(path.relative_to(lesson))
        assert rel in shown, f"{lesson.name}/{rel} is never shown in its README (a ```python file={rel} block)"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_lesson_shape(lesson):
    text = (lesson / "README.md").read_text()
    assert text.startswith("# "), "a title first"
    assert "In this lab you will" in text
    assert "\n## Verification" in text
    assert re.search(r"^## Verification\n(.|\n)*?```text[^\n]*\n", text, re.M), "Verification shows expected output"
    if lesson.name[:2] != "00":
        assert "\n## Differences from the article" in text
    nxt = re.search(r"^Next: \[[^\]]+\]\(([^)]+)\)", text, re.M)
    assert nxt, "a Next: link at the end"
    assert (lesson / nxt[1]).resolve().is_file(), f"Next: link {nxt[1]} is broken"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_relative_links_resolve(lesson):
    text = (lesson / "README.md").read_text()
    for target in re.findall(r"\]\((?!https?:|#)([^)#\s]+)", text):
        assert (lesson / target).resolve().exists(), f"{lesson.name}/README.md links to missing {target}"


def headings(lesson: str) -> list[str]:
    return re.findall(r"^##+ (.*)$", (paths.lesson_dir(lesson) / "README.md").read_text(), re.M)


def test_every_hint_points_to_an_existing_section(course):
    # a cause without its own lesson points into the lesson of whichever stage failed: the stages
    # with a worker (their checks name an app) can raise those
    worker_lessons = [s.lesson for s in course.stages if any("app" in c.params for c in s.checks)]
    for cause in course.causes.values():
        for lesson in [cause.lesson] if cause.lesson else worker_lessons:
            assert any(cause.section in h for h in headings(lesson)), f"{lesson}: no section {cause.section!r}"
