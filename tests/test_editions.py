"""The Chinese edition (docs/editions.md): every Chinese page in step with its English page, the checker's
titles and hints in both languages, and the checker speaking Chinese under a Chinese locale — each rule also
shown failing, on a real page changed the way a translator could get it wrong."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from courselab import i18n, paths, zh_edition
from courselab.services import free_port

PAGES = zh_edition.pages()
CJK = zh_edition.CJK


def zh_of(en_path):
    return en_path.with_name(zh_edition.ZH_NAME)


@pytest.mark.parametrize(("name", "en"), PAGES, ids=[n for n, _ in PAGES])
def test_a_chinese_page_is_in_step_with_its_english_page(name, en):
    zh = zh_of(en)
    assert zh.is_file(), f"{name}: no Chinese edition ({zh_edition.ZH_NAME}) beside its README.md"
    assert zh_edition.differences(en.read_text(), zh.read_text(), name) == []
    assert CJK.search(zh.read_text()), f"{name}: {zh_edition.ZH_NAME} has no Chinese in it"


@pytest.mark.parametrize(("name", "en"), PAGES, ids=[n for n, _ in PAGES])
def test_a_chinese_pages_links_resolve(name, en):
    zh = zh_of(en)
    for target in re.findall(r"\]\((?!https?:|#)([^)#\s]+)", zh.read_text()):
        assert (zh.parent / target).resolve().exists(), f"{name}/{zh_edition.ZH_NAME} links to missing {target}"
    # an anchor of the page itself: a heading's slug (GitHub's: lower case, punctuation dropped, spaces to
    # dashes) or an explicit <a id="..."> (the English anchor kept over a Chinese heading)
    text = zh.read_text()
    slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.*)$", text, re.M)}
    for anchor in re.findall(r"\]\(#([^)\s]+)\)", text):
        assert anchor in slugs or f'id="{anchor}"' in text, f"{name}/{zh_edition.ZH_NAME} links to missing #{anchor}"


# --- the sync rules fail, with a message naming the page and the section ------------------------------------

LESSON = paths.LESSONS / "03-run-redis"


def lesson_03() -> str:
    """Lesson 03's English page, with the line naming its Chinese edition."""
    en = (LESSON / "README.md").read_text()
    assert zh_edition.SWITCH_LINE_EN in en.split("\n")[:3]
    return en


@pytest.fixture
def pair() -> tuple[str, str]:
    """Lesson 03's English page and a stand-in for its Chinese one: the same page, its prose untouched (what is
    checked is the skeleton, which a translation keeps)."""
    en = lesson_03()
    return en, en.replace(zh_edition.SWITCH_LINE_EN, zh_edition.SWITCH_LINE_ZH)


def test_the_stand_in_is_in_step(pair):
    assert zh_edition.differences(*pair, "lessons/03-run-redis") == []


def test_a_command_changed_in_one_language_is_named_with_its_section(pair):
    en, zh = pair
    zh = zh.replace("redis-cli ping", "redis-cli PING", 1)
    [problem] = zh_edition.differences(en, zh, "lessons/03-run-redis")
    assert problem.startswith("lessons/03-run-redis, section '## ") and "is not the same in both" in problem


def test_a_missing_section_is_named(pair):
    en, zh = pair
    heading = re.search(r"^## 2\. .*$", zh, re.M)[0]
    zh = zh.replace(heading + "\n", "", 1)
    [problem] = zh_edition.differences(en, zh, "lessons/03-run-redis")
    assert f"'{heading}'" in problem and "the sections part here" in problem


def test_a_renumbered_section_is_named(pair):
    en, zh = pair
    zh = re.sub(r"^## 3\. ", "## 4. ", zh, count=1, flags=re.M)
    [problem] = zh_edition.differences(en, zh, "lessons/03-run-redis")
    assert "heading" in problem and "## 4. " in problem


def test_a_changed_link_is_named(pair):
    en, zh = pair
    target = re.search(r"\]\((\.\./[^)]+)\)", zh)[1]
    zh = zh.replace(f"]({target})", "](../nowhere/README.md)", 1)
    [problem] = zh_edition.differences(en, zh, "lessons/03-run-redis")
    assert problem.startswith("lessons/03-run-redis: the links differ") and target in problem


def test_the_line_naming_the_other_edition_is_required(pair):
    en, zh = pair
    problems = zh_edition.differences(en.replace(zh_edition.SWITCH_LINE_EN, ""),
                                    zh.replace(zh_edition.SWITCH_LINE_ZH, ""), "lessons/03-run-redis")
    assert problems == ["lessons/03-run-redis: README.md has no 'English · [简体中文](README.zh-CN.md)' line under "
                        "its title",
                        "lessons/03-run-redis: README.zh-CN.md has no '[English](README.md) · 简体中文' line under "
                        "its title"]


def test_blessed_outputs_are_carried_into_the_chinese_page(pair, tmp_path):
    """make bless rewrites the English page's outputs; zh_edition.follow gives the Chinese page the same."""
    en, zh = pair
    blessed = en.replace("PONG", "PONG ", 1)
    (tmp_path / "README.md").write_text(blessed)
    (tmp_path / zh_edition.ZH_NAME).write_text(zh)
    assert zh_edition.differences(blessed, zh, "x") != []
    assert zh_edition.follow(tmp_path / "README.md") is True
    assert zh_edition.differences(blessed, (tmp_path / zh_edition.ZH_NAME).read_text(), "x") == []
    assert zh_edition.follow(tmp_path / "README.md") is False


# --- the checker's words: both languages in stages.toml ----------------------------------------------------


def code(text: str) -> list[str]:
    return sorted(zh_edition.CODE_SPAN.findall(text))


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{[a-z_]+\}", text))


def test_every_stage_has_a_chinese_title(course):
    missing = [s.id for s in course.stages if not CJK.search(s.title_zh)]
    assert not missing, f"stages.toml: no title_zh (in Chinese) for {missing}"


def test_every_hint_has_a_chinese_twin_with_the_same_code_and_placeholders(course):
    for cause in course.causes.values():
        assert CJK.search(cause.hint_zh), f"stages.toml: [causes.{cause.id}] has no hint_zh in Chinese"
        assert code(cause.hint_zh) == code(cause.hint), f"[causes.{cause.id}]: the `code` differs between languages"
        assert placeholders(cause.hint_zh) == placeholders(cause.hint), f"[causes.{cause.id}]: the placeholders differ"


def test_the_locale_picks_the_language_as_posix_does():
    assert i18n.language({}) == i18n.EN
    assert i18n.language({"LANG": "zh_CN.UTF-8"}) == i18n.ZH
    assert i18n.language({"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"}) == i18n.EN
    assert i18n.language({"LANG": "C.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}) == i18n.ZH
    assert i18n.language({"LANG": "en_US.UTF-8", "LC_ALL": ""}) == i18n.EN


def check_redis_running(*make_args: str, **env: str) -> subprocess.CompletedProcess:
    """`make check STAGE=redis-running` for a Redis port nobody listens on: the stage is not reached."""
    environ = {**os.environ, "CELERY_LAB_REDIS_PORT": str(free_port()), "COLUMNS": "400"} | env
    return subprocess.run(["make", "-s", "check", "STAGE=redis-running", *make_args], cwd=paths.REPO, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_make_check_lang_zh_cn_gives_the_hint_in_chinese(course, monkeypatch):
    port = str(free_port())
    monkeypatch.setenv("CELERY_LAB_REDIS_PORT", port)  # for the hint this test expects
    done = check_redis_running("LANG=zh_CN.UTF-8", CELERY_LAB_REDIS_PORT=port)
    assert done.returncode != 0
    cause = course.causes["redis-down"]
    stage = course.stage("redis-running")
    out = " ".join(done.stdout.split())
    assert f"下一步：{stage.title_zh} (redis-running)" in out, done.stdout
    assert " ".join(("提示：" + cause.hint_for("03-run-redis", lang=i18n.ZH)).split()) in out, done.stdout
    # "see" names the Chinese page and the Chinese heading of the same section
    zh_section = zh_edition.section_title((LESSON / "README.md").read_text(), zh_of(LESSON / "README.md").read_text(),
                                        cause.section)
    assert zh_section and f"参见：lessons/03-run-redis/README.zh-CN.md，小节「{zh_section}」" in out, done.stdout


def test_the_checker_follows_the_locale_and_lc_all_wins(course):
    chinese = check_redis_running(LANG="zh_CN.UTF-8")
    english = check_redis_running(LANG="zh_CN.UTF-8", LC_ALL="C.UTF-8")
    assert "提示：" in chinese.stdout and "hint:" not in chinese.stdout
    assert "hint:" in english.stdout and not CJK.search(english.stdout), english.stdout


def test_editions_script_fails_on_a_page_out_of_step(tmp_path, monkeypatch):
    """scripts/editions.py exits 1 and names the section when a Chinese page parts from its English page."""
    page = tmp_path / "lessons" / "03-run-redis"
    page.mkdir(parents=True)
    en = lesson_03()
    (page / "README.md").write_text(en)
    (page / zh_edition.ZH_NAME).write_text(en.replace(zh_edition.SWITCH_LINE_EN, zh_edition.SWITCH_LINE_ZH)
                                         .replace("redis-cli ping", "redis-cli PING", 1))
    code_ = f"""
import sys
sys.path.insert(0, {str(paths.REPO / 'scripts')!r})
from pathlib import Path
from courselab import paths, zh_edition
paths.LESSONS = Path({str(tmp_path / 'lessons')!r})
paths.REPO = Path({str(tmp_path)!r})
(paths.REPO / "README.md").write_text("# x\\n")
sys.argv = ["editions.py", "lessons/03-run-redis"]
import runpy
runpy.run_path({str(paths.REPO / 'scripts/editions.py')!r}, run_name="__main__")
"""
    done = subprocess.run([sys.executable, "-c", code_], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "lessons/03-run-redis, section '## " in done.stdout and "is not the same in both" in done.stdout


# --- notebooks: notebooks/zh-CN/, the same code cells, the markdown in Chinese --------------------------------

NOTEBOOKS = zh_edition.notebooks()


@pytest.mark.parametrize(("name", "en"), NOTEBOOKS, ids=[n for n, _ in NOTEBOOKS])
def test_a_chinese_notebook_is_in_step_with_the_english_one(name, en):
    zh = zh_edition.zh_notebook(en)
    assert zh.is_file(), f"{name}: no Chinese notebook {zh.relative_to(paths.REPO)}"
    assert zh_edition.notebook_differences(en.read_text(), zh.read_text(), name) == []


def test_a_notebook_with_changed_code_or_untranslated_markdown_is_named():
    en = paths.NOTEBOOKS / "05-single-module-app.ipynb"
    zh = zh_edition.zh_notebook(en).read_text()
    changed = zh.replace("lab.stop()", "lab.stop(); pass", 1)
    [problem] = zh_edition.notebook_differences(en.read_text(), changed, "notebooks/05-single-module-app.ipynb")
    assert problem.startswith("notebooks/05-single-module-app.ipynb: code cell ") and "lab.stop()" in problem
    untranslated = zh_edition.notebook_differences(en.read_text(), en.read_text(), "x")
    assert untranslated and all("is not translated" in p or "the links differ" in p for p in untranslated)


def test_a_chinese_notebook_runs_from_its_own_folder():
    """Its code is the English notebook's, executed by make test there (nbmake); here once from notebooks/zh-CN/,
    the folder a learner opens it in, to show that code finds the course from there too."""
    import nbformat
    from nbclient import NotebookClient

    path = zh_edition.zh_notebook(paths.NOTEBOOKS / "05-single-module-app.ipynb")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Traceback" not in printed and printed.strip(), printed


def test_every_hint_points_to_its_section_in_the_chinese_edition_too(course):
    """The checker's "see:" in Chinese names the Chinese page and heading of the section the English names."""
    worker_lessons = [s.lesson for s in course.stages if any("app" in c.params for c in s.checks)]
    for cause in course.causes.values():
        for lesson in [cause.lesson] if cause.lesson else worker_lessons:
            en, zh = cause.where(lesson, lang=i18n.EN), cause.where(lesson, lang=i18n.ZH)
            assert zh.startswith(f"lessons/{lesson}/README.zh-CN.md，小节「"), \
                f"[causes.{cause.id}] in {lesson}: {en} has no Chinese counterpart ({zh})"


def test_a_hints_section_is_the_one_of_exactly_that_title(course):
    """[causes.packaged] says section "Install": lesson 02's "6. Install", not "1. Install the build prerequisites"
    (the first heading that holds the word), in Chinese too."""
    cause = course.causes["packaged"]
    assert cause.section == "Install"
    assert cause.where("02-build-redis", lang=i18n.ZH) == "lessons/02-build-redis/README.zh-CN.md，小节「安装」"
