"""End to end through the command line: the real site and the fixture, exit codes, help, stats."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

from helpers import line_of, replace_in, tree


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_real_site_builds_every_page_rtl(tmp_path):
    out = tmp_path / "site"
    result = run("build", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}:")
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    for required in ["index.html", "404.html", "sources/index.html", "timeline/index.html",
                     "disagreements/index.html", "entities/index.html", "about/index.html"]:
        assert required in pages
    for topic in ["talks", "embassies", "properties", "flights", "negotiators"]:
        assert f"topics/{topic}/index.html" in pages
    sources = [p for p in pages if p.startswith("sources/") and p != "sources/index.html"]
    assert len(sources) == 5
    for page in pages:
        assert '<html lang="ar" dir="rtl">' in (out / page).read_text(encoding="utf-8"), page


def test_real_site_builds_are_byte_identical(tmp_path):
    assert run("build", "--out", tmp_path / "a").returncode == 0
    assert run("build", "--out", tmp_path / "b").returncode == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_check_writes_nothing(project):
    root = project()
    result = run("--project", root, "check")
    assert result.returncode == 0 and result.stdout.startswith("checked 15 pages")
    assert not (root / "_site").exists()


def test_content_errors_exit_1_with_sorted_lines_and_no_traceback(project):
    root = project()
    assert run("--project", root, "build").returncode == 0
    before = tree(root / "_site")
    replace_in(root / "content/topics/flights.yaml", "      - source: two", "      - source: tow")
    replace_in(root / "content/sources.yaml", "meeting: round-one", "meeting: round-on")
    result = run("--project", root, "build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.splitlines() == [
        "content/sources.yaml:2: unknown meeting 'round-on' (did you mean 'round-one'?)",
        f"content/topics/flights.yaml:{line_of(root / 'content/topics/flights.yaml', 'source: tow')}: "
        "unknown source 'tow' (did you mean 'two'?)",
        "2 errors; nothing was written.",
    ]
    assert tree(root / "_site") == before


@pytest.mark.parametrize("args", [["--bogus"], ["build", "--nope"], [], ["publish"], ["serve", "--port", "x"]])
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.returncode == 2 and "usage:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["build", "check", "serve", "stats"])
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"usage: build.py {command}")


def test_stats_counts_facts_citations_and_uncited_sentences(project):
    root = project()
    result = run("--project", root, "stats")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "meetings" in out and "flights" in out
    # seed one: line 6 repeats a quote resolved on line 4, so no fact cites line 6
    assert "line 6: وقال المتحدث إن المحادثات كانت “بناءة”." in out
    assert "  two: none" in out


def test_real_site_meets_the_content_targets():
    result = run("stats")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    total = next(r for r in rows if r.strip().startswith("total") and "dated" in r)
    assert int(total.split()[1]) >= 60
    per_article = rows[rows.index("Citations per article:") + 1: rows.index("Citations per article:") + 6]
    assert all(int(r.split()[1]) >= 8 for r in per_article), per_article


def test_a_search_index_that_fails_stops_the_build_with_pagefinds_own_words(project, tmp_path):
    """Pagefind runs beside rendering; when it fails, the build says why in one line and writes nothing."""
    root = project()
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'pagefind: the index is out of cheese' >&2\nexit 3\n", encoding="utf-8")
    broken.chmod(0o755)
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(root), "build"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PAGEFIND_BINARY_PATH": str(broken)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    first, summary = result.stderr.splitlines()
    assert first.startswith("search") and "the search index could not be built" in first
    assert "out of cheese" in first and summary == "1 error; nothing was written."
    assert not (root / "_site").exists()


def test_a_profiler_around_the_command_still_gets_its_data(project, tmp_path):
    """A one-off command skips Python's teardown when it ends, except under a profiler or coverage, whose data
    is written as Python exits."""
    root, stats = project(), tmp_path / "build.prof"
    result = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), str(ROOT / "build.py"),
                             "--project", str(root), "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("checked ")
    assert stats.stat().st_size > 0
