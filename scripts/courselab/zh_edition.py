"""The course's two editions: English (README.md) and Simplified Chinese (README.zh-CN.md), kept in step.

A Chinese page is the English page's translation with the same skeleton: the same headings at the same
levels, in the same order (numbered ones with the same numbers), the same fenced blocks byte for byte
(info string and body) in the same sections, and the same links. `differences()` says where two pages
part, naming the section in both languages; `carry_blocks()` copies the English blocks into the Chinese
page (after `make bless` rewrote the English outputs, say).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .lessontext import FENCE

ZH = "zh-CN"
ZH_NAME = f"README.{ZH}.md"
NOTEBOOKS_ZH = ZH  # the Chinese notebooks' folder, under notebooks/
SWITCH_TO_ZH = f"[简体中文]({ZH_NAME})"  # under the title of an English page that has a Chinese edition
SWITCH_TO_EN = "[English](README.md)"  # ... and under the title of its Chinese edition
SWITCH_LINE_EN = f"English · {SWITCH_TO_ZH}"
SWITCH_LINE_ZH = f"{SWITCH_TO_EN} · 简体中文"
HEADING = re.compile(r"^(#{1,6}) (.+)$", re.M)
NUMBER = re.compile(r"^(\d+(?:\.\d+)*)[.·\s]")  # "3. Save" / "15 · Outgrowing": the number a heading carries
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
CJK = re.compile(r"[\u4e00-\u9fff]")  # Chinese text


@dataclass(frozen=True)
class Page:
    """A page cut into sections: the text before the first heading is section 0, titled ""."""

    headings: list[tuple[int, str, int]]  # (level, title, line)
    blocks: list[tuple[int, int, str]]  # (section index, line, the fence whole)
    links: Counter

    def section(self, index: int) -> str:
        if index == 0:
            return "the top of the page"
        level, title, _ = self.headings[index - 1]
        return f"{'#' * level} {title}"


def read(text: str) -> Page:
    fences = [(m.start(), m.end(), m.group(0)) for m in FENCE.finditer(text)]

    def outside(pos: int) -> bool:
        return not any(start <= pos < end for start, end, _ in fences)

    def line(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    headings = [(len(m[1]), m[2].strip(), line(m.start())) for m in HEADING.finditer(text) if outside(m.start())]
    starts = [h[2] for h in headings]

    def section_at(ln: int) -> int:
        return sum(1 for s in starts if s <= ln)

    blocks = [(section_at(line(start)), line(start), whole) for start, _, whole in fences]
    prose = "".join(text[a:b] for a, b in _gaps(fences, len(text)))
    links = Counter(english_target(t) for t in LINK.findall(prose) if t not in (ZH_NAME, "README.md"))
    return Page(headings, blocks, links)


def english_target(target: str) -> str:
    """Where the English edition's link goes, for a link of either edition: a Chinese page links to the Chinese
    edition of another page, and to the Chinese notebook, where the English page links to the English ones."""
    return target.replace(ZH_NAME, "README.md").replace(f"notebooks/{NOTEBOOKS_ZH}/", "notebooks/")


def _gaps(fences, length):
    at = 0
    for start, end, _ in fences:
        yield at, start
        at = end
    yield at, length


def top(text: str) -> list[str]:
    """The title and the two lines under it, where the line naming the other edition goes."""
    return text.split("\n")[:3]


def differences(en_text: str, zh_text: str, name: str) -> list[str]:
    """What keeps the Chinese page from being the English page's edition; [] when it is. Each says `name`
    and the section, in both languages."""
    en, zh = read(en_text), read(zh_text)
    problems = []
    if SWITCH_LINE_EN not in top(en_text):
        problems.append(f"{name}: README.md has no '{SWITCH_LINE_EN}' line under its title")
    if SWITCH_LINE_ZH not in top(zh_text):
        problems.append(f"{name}: {ZH_NAME} has no '{SWITCH_LINE_ZH}' line under its title")

    for i, (a, b) in enumerate(zip(en.headings, zh.headings, strict=False), start=1):
        if a[0] != b[0] or (number(a[1]) is not None and number(b[1]) != number(a[1])):
            problems.append(f"{name}: heading {i} is '{en.section(i)}' (line {a[2]}) in README.md but "
                            f"'{zh.section(i)}' (line {b[2]}) in {ZH_NAME}: the sections part here")
            return problems  # everything after is shifted: one message says where
    if len(en.headings) != len(zh.headings):
        more, fewer = (("README.md", en), (ZH_NAME, zh))[:: 1 if len(en.headings) > len(zh.headings) else -1]
        extra = more[1].headings[len(fewer[1].headings)]
        problems.append(f"{name}: {more[0]} has {len(more[1].headings)} headings, {fewer[0]} "
                        f"{len(fewer[1].headings)}: '{'#' * extra[0]} {extra[1]}' (line {extra[2]}) has no "
                        f"counterpart")
        return problems

    for k, (a, b) in enumerate(zip(en.blocks, zh.blocks, strict=False), start=1):
        if a[0] != b[0] or a[2] != b[2]:
            problems.append(f"{name}, section '{en.section(a[0])}' / '{zh.section(b[0])}': block {k} "
                            f"(README.md line {a[1]}, {ZH_NAME} line {b[1]}) is not the same in both: the code, "
                            f"commands and outputs are shared byte for byte (scripts/editions.py carries them over)")
            return problems
    if len(en.blocks) != len(zh.blocks):
        problems.append(f"{name}: README.md has {len(en.blocks)} fenced blocks, {ZH_NAME} {len(zh.blocks)}")
    if en.links != zh.links:
        only_en = sorted((en.links - zh.links).elements())
        only_zh = sorted((zh.links - en.links).elements())
        problems.append(f"{name}: the links differ: only in README.md {only_en}, only in {ZH_NAME} {only_zh}")
    return problems


def number(title: str) -> str | None:
    """The number a heading carries ("3" for "3. Save", "15" for "15 · Outgrowing"), or None."""
    m = NUMBER.match(title)
    return m[1] if m else None


def carry_blocks(en_text: str, zh_text: str) -> str:
    """The Chinese page with each fenced block replaced by the English one at the same place (the pages must
    have as many blocks)."""
    en_blocks = [m.group(0) for m in FENCE.finditer(en_text)]
    zh_count = len(FENCE.findall(zh_text))
    if zh_count != len(en_blocks):
        raise ValueError(f"README.md has {len(en_blocks)} fenced blocks, {ZH_NAME} {zh_count}: carry them by hand")
    blocks = iter(en_blocks)
    return FENCE.sub(lambda _: next(blocks), zh_text)


def section_title(en_text: str, zh_text: str, title: str) -> str | None:
    """The Chinese heading of the first English section whose title holds `title` (a hint's `section`: "Build"
    for "## 4. Build"), found by position; without its number."""
    en, zh = read(en_text), read(zh_text)
    pairs = [(en_title, zh_title) for (level, en_title, _), (_, zh_title, _) in zip(en.headings, zh.headings,
                                                                                     strict=False) if level > 1]
    # the section of exactly that title first ("Install" is "## 6. Install", not "## 1. Install the build
    # prerequisites"), else the first that holds it
    for en_title, zh_title in pairs:
        if unnumbered(en_title) == title:
            return unnumbered(zh_title)
    for en_title, zh_title in pairs:
        if title in en_title:
            return unnumbered(zh_title)
    return None


def unnumbered(title: str) -> str:
    """A heading without its section number: "3. Save to disk" -> "Save to disk"."""
    return re.sub(r"^\d+(?:\.\d+)*\.\s+", "", title)


def pages() -> list[tuple[str, Path]]:
    """Every page that has (or should have) a Chinese edition: the course's README, its detail (docs/course/),
    and each lesson's."""
    out = [("README.md", paths.REPO / "README.md"), ("docs/course", paths.REPO / "docs" / "course" / "README.md")]
    out += [(f"lessons/{d.name}", d / "README.md") for d in sorted(paths.LESSONS.iterdir())
            if (d / "README.md").is_file()]
    return out


def follow(readme: Path) -> bool:
    """After README.md's blocks were rewritten (make bless), give its Chinese edition the same blocks.
    True when the Chinese page changed."""
    zh = readme.with_name(ZH_NAME)
    if not zh.is_file():
        return False
    old = zh.read_text()
    new = carry_blocks(readme.read_text(), old)
    if new != old:
        zh.write_text(new)
    return new != old


# --- notebooks: notebooks/zh-CN/NN-slug.ipynb beside notebooks/NN-slug.ipynb ---------------------------------

def notebooks() -> list[tuple[str, Path]]:
    return [(f"notebooks/{p.name}", p) for p in sorted(paths.NOTEBOOKS.glob("*.ipynb"))]


def zh_notebook(en: Path) -> Path:
    return en.parent / NOTEBOOKS_ZH / en.name


def _cells(text: str) -> list[dict]:
    cells = json.loads(text)["cells"]
    return [{**c, "source": "".join(c["source"]) if isinstance(c["source"], list) else c["source"]} for c in cells]


def _notebook_links(cells: list[dict], zh: bool) -> Counter:
    out = Counter()
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall(cell["source"]):
            out[english_target(target.removeprefix("../")) if zh else target] += 1  # zh: one folder deeper
    return out


def notebook_differences(en_text: str, zh_text: str, name: str) -> list[str]:
    """What keeps a Chinese notebook from being the English one's edition: the same cells in the same order, the
    code cells the same (source and tags), the markdown cells in Chinese, the same links."""
    en, zh = _cells(en_text), _cells(zh_text)
    if [c["cell_type"] for c in en] != [c["cell_type"] for c in zh]:
        return [f"{name}: the cells differ: README's notebook has {[c['cell_type'][0] for c in en]}, the Chinese "
                f"{[c['cell_type'][0] for c in zh]} (c: code, m: markdown)"]
    problems = []
    for k, (a, b) in enumerate(zip(en, zh, strict=True), start=1):
        if a["cell_type"] == "code" and (a["source"] != b["source"] or a.get("metadata") != b.get("metadata")):
            problems.append(f"{name}: code cell {k} ({a['source'].splitlines()[0][:60]!r}) is not the same in both: "
                            f"the code is shared (python scripts/editions.py --carry carries it over)")
        if a["cell_type"] == "markdown" and not CJK.search(b["source"]):
            problems.append(f"{name}: markdown cell {k} ({a['source'].splitlines()[0][:60]!r}) is not translated")
    en_links, zh_links = _notebook_links(en, False), _notebook_links(zh, True)
    if en_links != zh_links:
        problems.append(f"{name}: the links differ: {sorted(en_links.elements())} in English, "
                        f"{sorted(zh_links.elements())} in Chinese (one folder deeper)")
    return problems


def carry_cells(en: Path) -> bool:
    """Give the Chinese notebook the English one's code cells (by position); True when it changed."""
    zh = zh_notebook(en)
    if not zh.is_file():
        return False
    en_nb, old = json.loads(en.read_text()), zh.read_text()
    zh_nb = json.loads(old)
    if [c["cell_type"] for c in en_nb["cells"]] != [c["cell_type"] for c in zh_nb["cells"]]:
        raise ValueError(f"{zh}: its cells are not the English notebook's: carry them by hand")
    for a, b in zip(en_nb["cells"], zh_nb["cells"], strict=True):
        if a["cell_type"] == "code":
            b["source"], b["metadata"] = a["source"], a["metadata"]
    new = json.dumps(zh_nb, indent=1, ensure_ascii=False) + "\n"
    if new != old:
        zh.write_text(new)
    return new != old
