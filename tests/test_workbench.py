"""The preview's citation workbench without a browser (issue 15): what a preview build adds to source pages (seed
offsets, the uncited sentences, the data select-to-cite reads, its script and stylesheet under a script-src 'self'
policy, the page of sentences not cited yet) and that a `build` has none of it; how articles are cut into sentences
(`build.py stats` lists the same ones); the Nu checker on the preview's pages; preview rebuilds equal to cold
builds when what is cited changes. The browser side is test_browser_workbench.py."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

from conftest import ROOT
from helpers import replace_in, tree
from sitegen import build
from sitegen.reuse import Reuse
from tools.checks import read_page, vnu_errors

URL = "http://127.0.0.1:8000/"
PREVIEW_ONLY = ["data-at=", 'class="uncited"', 'id="cite-data"', "cite-panel", "workbench", "preview/uncited"]
SENTENCES = "أولى جملة. ثانية بنسبة 2.5 بالمئة؟ ثالثة! قال: «رابعة.» وخامسة بلا نقطة"


def test_a_build_has_none_of_the_preview_workbench(project, tmp_path):
    root = project()
    built, preview = build(root, tmp_path / "built"), build(root, tmp_path / "preview", preview=True)
    assert built.ok and preview.ok
    files = tree(tmp_path / "built")
    assert not [p for p in files if p.startswith("preview/")]
    leaks = [(p, w) for p, data in files.items() if p.endswith(".html") for w in PREVIEW_ONLY
             if w in data.decode("utf-8")]
    assert not leaks, leaks
    shown = tree(tmp_path / "preview")
    assert {"preview/uncited/index.html", "preview/workbench.js", "preview/workbench.css"} <= shown.keys()
    assert "preview/uncited/" not in shown["sitemap.xml"].decode()
    page = shown["sources/one/index.html"].decode("utf-8")
    assert all(w in page for w in PREVIEW_ONLY)


def test_the_preview_source_page_runs_only_its_own_script_file(project, tmp_path):
    root = project()
    assert build(root, tmp_path / "preview", preview=True).ok
    page = read_page((tmp_path / "preview/sources/one/index.html").read_text(encoding="utf-8"))
    scripts = [attrs for tag, attrs in page.elements if tag == "script"]
    assert [s["src"] for s in scripts if "src" in s] == ["../../preview/workbench.js"]
    assert [s.get("type") for s in scripts if "src" not in s] == ["application/json"]   # data, never run
    policy = next(a["content"] for t, a in page.elements if a.get("http-equiv") == "Content-Security-Policy")
    assert "'self'" in re.search(r"script-src ([^;]*)", policy).group(1).split()
    inline = [(tag, a) for tag, attrs in page.elements for a in attrs if a == "style" or a.startswith("on")]
    assert not inline


def test_the_data_gives_the_seed_and_who_cites_where_in_code_points(project, tmp_path):
    root = project()
    seed = root / "seeds/one.txt"
    seed.write_text("😀 " + seed.read_text(encoding="utf-8"), encoding="utf-8")    # a character of two UTF-16 units
    report = build(root, tmp_path / "preview", preview=True)
    assert report.ok, report.errors
    page = (tmp_path / "preview/sources/one/index.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="cite-data">(.*?)</script>', page).group(1))
    assert data["text"] == seed.read_text(encoding="utf-8") and data["source"] == "one"
    fact = next(f for f in report.site.facts() if f.id == "flights-proposal")
    start, end = fact.citations[0].start, fact.citations[0].end
    entry = next(c for c in data["cites"] if c[:2] == [start, end])
    assert data["citers"][entry[2][0]] == ["اقترحت روسيا استئناف الرحلات المباشرة.", "../../topics/flights/#flights-proposal"]
    # each piece of the body says where its text starts in the seed
    pieces = re.findall(r'data-at="(\d+)">([^<]+)<', page)
    assert len(pieces) > 5
    for at, text in pieces:
        assert data["text"][int(at):int(at) + len(text)] == text.replace("&#34;", '"').replace("&amp;", "&")


def test_sentences_are_cut_at_full_stops_question_and_exclamation_marks_and_line_breaks(project, tmp_path):
    root = project()
    seed = root / "seeds/two.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + SENTENCES + "\n", encoding="utf-8")
    replace_in(root / "content/sources.yaml", "body: [2, 5]", "body: [2, 6]")
    report = build(root, tmp_path / "preview", preview=True)
    assert report.ok, report.errors
    listed = (tmp_path / "preview/preview/uncited/index.html").read_text(encoding="utf-8")
    expected = ["أولى جملة.", "ثانية بنسبة 2.5 بالمئة؟", "ثالثة!", "قال: «رابعة.»", "وخامسة بلا نقطة"]
    rows = re.findall(r'<li><a href="../../sources/two/#(u-\d+-\d+)">السطر ٦</a>: (.*?)</li>', listed)
    assert [text for _, text in rows] == expected
    source = (tmp_path / "preview/sources/two/index.html").read_text(encoding="utf-8")
    assert all(f'id="{anchor}"' in source for anchor, _ in rows)
    # stats lists the same sentences, from the same function
    out = subprocess.run([sys.executable, "build.py", "--project", str(root), "stats"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    rows = out.split("\n  two: 5\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split(": ", 1)[1] for line in rows] == expected and rows[0].startswith("    line 6:")


def test_a_quoted_sentence_leaves_the_list_and_preview_rebuilds_equal_cold_builds(project, tmp_path):
    root = project()
    reuse, out, cold = Reuse(), tmp_path / "preview", tmp_path / "cold"

    def same_as_cold() -> str:
        report = build(root, out, URL, preview=True, stages=reuse)
        assert report.ok, report.errors
        shutil.rmtree(cold, ignore_errors=True)
        assert build(root, cold, URL, preview=True).ok
        fresh = tree(cold)
        assert tree(out) == fresh
        return fresh["preview/uncited/index.html"].decode("utf-8")

    assert "إن الاتفاق ما زال قائمًا" not in same_as_cold()
    seed = root / "seeds/one.txt"
    seed.write_text(seed.read_text(encoding="utf-8").replace("بناءة”.\n", "بناءة”.\nإن الاتفاق ما زال قائمًا.\n"))
    replace_in(root / "content/sources.yaml", "body: [3, 6]", "body: [3, 7]")
    assert "إن الاتفاق ما زال قائمًا" in same_as_cold()
    with open(root / "content/topics/flights.yaml", "a", encoding="utf-8") as topic:
        topic.write('  - id: still-standing\n    text: "الاتفاق قائم."\n    citations:\n'
                    '      - source: one\n        quote: "الاتفاق ما زال"\n')
    assert "إن الاتفاق ما زال قائمًا" not in same_as_cold()


def test_preview_pages_pass_the_nu_html_checker(project, tmp_path):
    root = project()
    assert build(root, tmp_path / "preview", preview=True).ok
    files = [tmp_path / "preview" / p for p in ("sources/one/index.html", "sources/index.html",
                                                "preview/uncited/index.html", "preview/workbench.css")]
    errors = vnu_errors(files)
    assert not errors, "\n".join(errors)


def test_in_excerpt_mode_the_list_has_no_links_and_source_pages_no_panel(project, tmp_path):
    root = project()
    replace_in(root / "site.yaml", "digits: arab", "digits: arab\nsource_text: excerpts")
    report = build(root, tmp_path / "preview", preview=True)
    assert report.ok, report.errors     # every link of the preview leads somewhere
    listed = (tmp_path / "preview/preview/uncited/index.html").read_text(encoding="utf-8")
    assert "<li>السطر ٦: وقال المتحدث إن المحادثات كانت “بناءة”.</li>" in listed
    page = (tmp_path / "preview/sources/one/index.html").read_text(encoding="utf-8")
    assert "cite-panel" not in page and "data-at=" not in page and 'class="uncited"' not in page
