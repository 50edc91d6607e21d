#!/usr/bin/env python3
"""make words: how much each lesson asks its reader to read on the step path, against the course's targets.
    python scripts/words.py            every lesson: prose words (outside code and <details> asides), command
                                       blocks, words per command, the longest section; then what misses a target
Exit status 0 when every lesson meets the targets, 1 otherwise (courselab/step_path.py says what they are).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from courselab import paths, step_path, ui  # noqa: E402
from rich.table import Table  # noqa: E402


def main() -> int:
    measures = step_path.lessons(paths.REPO)
    table = Table(title="Words on the step path (prose outside code and asides)", title_justify="left")
    for column in ("lesson", "words", "aside", "cmds", "w/cmd", "max §"):
        table.add_column(column, justify="left" if column == "lesson" else "right", no_wrap=True)
    for m in measures:
        longest = max(m.sections, key=lambda s: s.words)
        table.add_row(m.name, str(m.words), str(m.aside_words), str(m.commands),
                      f"{m.words / m.commands:.0f}" if m.commands else "-", str(longest.words))
    ui.console.print(table)
    median = step_path.per_command(measures)
    ui.console.print(f"Course: {sum(m.words for m in measures)} words of prose on the step path; median "
                     f"{median:.0f} words per command (target at most {step_path.PER_COMMAND}).")
    problems = [p for m in measures for p in step_path.over(m)]
    if median > step_path.PER_COMMAND:
        problems.append(f"the median of words per command is {median:.0f} (at most {step_path.PER_COMMAND})")
    for problem in problems:
        ui.console.print(f"  over: {problem}", markup=False)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
