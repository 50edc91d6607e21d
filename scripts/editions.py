#!/usr/bin/env python3
"""The Chinese edition beside the English: which pages have one, and whether each is in step.
    python scripts/editions.py                 every page: in step, or where it parts from the English
    python scripts/editions.py lessons/03-run-redis README.md ...   only these pages
    python scripts/editions.py --carry lessons/03-run-redis          copy the English page's fenced blocks
                                                                     into its Chinese edition
    python scripts/editions.py notebooks/03-run-redis.ipynb          a notebook and notebooks/zh-CN/'s
                                                                     (--carry: the English code cells)
Exit status 0 when every Chinese page asked about is in step with its English page, 1 otherwise.
A page without a Chinese edition yet is listed, not counted as a failure. (docs/editions.md)
"""

from __future__ import annotations

import argparse
import sys

from courselab import ui, zh_edition


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="README.md or lessons/NN-slug (default: every page)")
    parser.add_argument("--carry", action="store_true", help="copy the English blocks into the Chinese page")
    args = parser.parse_args(argv)
    known = dict(zh_edition.pages()) | dict(zh_edition.notebooks())
    names = args.pages or list(known)
    unknown = [n for n in names if n.rstrip("/") not in known]
    if unknown:
        ui.console.print(f"editions: no page {', '.join(unknown)}; the pages are: {', '.join(known)}",
                         markup=False)
        return 2
    bad = 0
    for name in (n.rstrip("/") for n in names):
        en = known[name]
        notebook = en.suffix == ".ipynb"
        zh = zh_edition.zh_notebook(en) if notebook else en.with_name(zh_edition.ZH_NAME)
        if not zh.is_file():
            ui.console.print(f"{name}: no Chinese edition yet", style="dim", markup=False)
            continue
        if args.carry:
            changed = zh_edition.carry_cells(en) if notebook else zh_edition.follow(en)
            ui.console.print(f"{name}: {'code carried over' if changed else 'code already the same'}", markup=False)
        compare = zh_edition.notebook_differences if notebook else zh_edition.differences
        problems = compare(en.read_text(), zh.read_text(), name)
        for problem in problems:
            ui.console.print(problem, style="red", markup=False)
        if not problems:
            ui.console.print(f"{name}: in step", style="green", markup=False)
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
