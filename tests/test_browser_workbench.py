"""The preview's citation workbench in headless Chromium (issue 15): words selected on a source page (by script, by
mouse drag, by keyboard) give a citation whose pasted text builds and cites exactly the selection, across a line
break and with quotation marks, backslashes, runs of spaces and an invisible character; the facts citing an
overlapping passage; a warning when the words occur earlier; the copy button and its fallback; the uncited
sentences marked and listed; axe on the preview's source page. Nothing of it is in a built site
(test_workbench.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import copy_project
from helpers import replace_in
from sitegen import build
from tools.checks import axe_source

pytestmark = pytest.mark.browser

# A body line added to the fixture's first article: ASCII quotation marks, a backslash, two spaces, a tab and a
# zero-width space, all of which the citation must carry as they are.
ODD_LINE = 'وصرّح "المسؤول"  بأن الاتفاق\\القديم\tما زال\u200bقائمًا.'
SELECT = """([s, e]) => {
  const pieces = [...document.querySelectorAll('[data-cite-body] [data-at]')];
  const point = (offset, isEnd) => {
    for (const el of pieces) {
      const at = Number(el.dataset.at), length = el.textContent.length;
      if (offset < at || offset > at + length || (!isEnd && offset === at + length)) continue;
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let rest = offset - at;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (isEnd ? rest <= node.data.length : rest < node.data.length) return [node, rest];
        rest -= node.data.length;
      }
    }
    throw new Error('offset ' + offset + ' is not on the page');
  };
  const [a, ao] = point(s, false), [b, bo] = point(e, true);
  getSelection().setBaseAndExtent(a, ao, b, bo);
}"""
SHOWN = "([s, e]) => { const p = document.getElementById('cite-panel'); return !p.hidden && p.dataset.start == s && p.dataset.end == e; }"


@pytest.fixture
def workbench(tmp_path, static_server):
    """A fixture project with ODD_LINE in its first article, built as the preview builds it, and served."""
    root = copy_project("basic", tmp_path / "project")
    seed = root / "seeds/one.txt"
    text = seed.read_text(encoding="utf-8")
    seed.write_text(text.replace("بناءة”.\n", "بناءة”.\n" + ODD_LINE + "\n", 1), encoding="utf-8")
    replace_in(root / "content/sources.yaml", "body: [3, 6]", "body: [3, 7]")
    out = tmp_path / "preview"
    report = build(root, out, "http://127.0.0.1/", preview=True)
    assert report.ok, report.errors
    return root, static_server(out)


def seed_of(root: Path, name: str = "one.txt") -> str:
    return (root / "seeds" / name).read_text(encoding="utf-8")


def snippet(page) -> str:
    return page.locator("#cite-panel .cite-snippet").text_content()


def select(page, start: int, end: int) -> str:
    page.evaluate(SELECT, [start, end])
    page.wait_for_function(SHOWN, arg=[start, end])
    return snippet(page)


def cite_in_a_new_fact(root: Path, text: str) -> tuple[int, int]:
    """Paste the snippet under a new fact's citations, build the site, and return where its quote was found."""
    pasted = "".join("      " + line + "\n" for line in text.split("\n"))
    with open(root / "content/topics/flights.yaml", "a", encoding="utf-8") as topic:
        topic.write(f'  - id: pasted-fact\n    text: "واقعة من اقتباس ملصوق."\n    citations:\n{pasted}')
    report = build(root, root.parent / "built")
    assert report.ok, "\n".join(map(str, report.errors))
    fact = next(f for f in report.site.facts() if f.id == "pasted-fact")
    page = (root.parent / "built/sources/one/index.html").read_text(encoding="utf-8")
    assert f'id="{fact.citations[0].anchor}"' in page
    return fact.citations[0].start, fact.citations[0].end


@pytest.mark.parametrize("words", [ODD_LINE[:-1], "إن المحادثات كانت “بناءة”، وإن جولة جديدة ستعقد قريبًا.\nواقترحت روسيا"],
                         ids=["quotation-marks-and-spaces", "across-a-paragraph"])
def test_the_snippet_is_the_seed_and_builds_into_a_citation_of_the_selection(workbench, page, words):
    root, base = workbench
    text = seed_of(root)
    start = text.index(words)
    end = start + len(words)
    page.goto(base + "sources/one/")
    got = select(page, start, end)
    assert yaml.safe_load(got) == [{"source": "one", "quote": text[start:end]}]
    assert got.count("\n") == 1     # two lines: the line breaks of the quote are written \n
    if "\t" in words:
        assert '\\"المسؤول\\"' in got and "\\\\" in got and "\\t" in got and "\\u200B" in got and "  " in got
    assert cite_in_a_new_fact(root, got) == (start, end)


def test_a_mouse_drag_and_keyboard_steps_give_the_selected_words(workbench, page):
    root, base = workbench
    text = seed_of(root)
    page.set_viewport_size({"width": 900, "height": 800})
    page.goto(base + "sources/one/")
    line = page.locator("#p-3 [data-at]").first
    # From inside the second letter of the line to inside the tenth from its end: the drag runs right to left
    box = page.evaluate("""el => { const t = el.firstChild, r = document.createRange();
        const at = i => { r.setStart(t, i); r.setEnd(t, i + 1); return r.getBoundingClientRect(); };
        const a = at(1), b = at(t.data.length - 10);
        return [a.right - 1, a.top + a.height / 2, b.left + 1, b.top + b.height / 2]; }""", line.element_handle())
    page.mouse.move(box[0], box[1])
    page.mouse.down()
    page.mouse.move(box[2], box[3], steps=8)
    page.mouse.up()
    page.wait_for_function("() => !document.getElementById('cite-panel').hidden")
    selected = page.evaluate("() => getSelection().toString().trim()")
    quote = yaml.safe_load(snippet(page))[0]["quote"]
    start, end = (int(page.locator("#cite-panel").get_attribute(k)) for k in ("data-start", "data-end"))
    assert quote == selected == text[start:end] and len(quote) > 20
    assert page.locator("#cite-status").text_content().strip()     # announced to screen readers
    # Shift+Left extends a right-to-left selection forwards, word by word with Ctrl
    page.keyboard.press("Control+Shift+ArrowLeft")
    page.wait_for_function("end => Number(document.getElementById('cite-panel').dataset.end) > end", arg=end)
    quote = yaml.safe_load(snippet(page))[0]["quote"]
    assert quote == page.evaluate("() => getSelection().toString().trim()")
    # the panel is reachable by keyboard and Escape closes it
    page.locator("#cite-panel .cite-copy").focus()
    assert page.evaluate("() => document.activeElement.className") == "cite-copy"
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.getElementById('cite-panel').hidden")
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"


def test_the_panel_names_the_facts_citing_an_overlapping_passage_and_an_earlier_occurrence(workbench, page):
    root, base = workbench
    text = seed_of(root)
    page.goto(base + "sources/one/")
    start = text.index("استئناف الرحلات")     # inside the passage flights-proposal quotes
    select(page, start, start + len("استئناف الرحلات"))
    links = page.locator("#cite-panel .cite-overlap a")
    assert links.count() == 1 and links.first.get_attribute("href").endswith("topics/flights/#flights-proposal")
    assert page.locator("#cite-panel .cite-none").is_hidden() and page.locator(".cite-earlier").is_hidden()
    # line 6 repeats a sentence of line 4: the build would cite line 4, and the panel says so
    again = text.rindex("وقال المتحدث إن المحادثات كانت “بناءة”")
    select(page, again, again + len("وقال المتحدث إن المحادثات كانت “بناءة”"))
    assert page.locator(".cite-earlier").is_visible() and "٤" in page.locator(".cite-earlier").text_content()
    assert page.locator("#cite-panel .cite-overlap a").count() == 0 and page.locator(".cite-none").is_visible()


def test_copy_puts_the_snippet_on_the_clipboard_or_selects_it(workbench, browser):
    root, base = workbench
    text = seed_of(root)
    start = text.index("اجتمع الوفدان")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    page = context.new_page()
    try:
        page.goto(base + "sources/one/")
        got = select(page, start, start + len("اجتمع الوفدان"))
        page.locator(".cite-copy").click()
        page.wait_for_function("() => document.getElementById('cite-status').textContent.includes('نُسخ')")
        assert page.evaluate("navigator.clipboard.readText()") == got
        # without the Clipboard API (a page not served from this machine): the snippet is selected instead
        page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
        page.reload()
        got = select(page, start, start + len("اجتمع الوفدان"))
        page.locator(".cite-copy").click()
        page.wait_for_function("() => document.getElementById('cite-status').textContent.includes('Ctrl+C')")
        assert page.evaluate("() => getSelection().toString()") == got
        assert not page.locator("#cite-panel").is_hidden()     # selecting the snippet keeps the panel
    finally:
        context.close()


@pytest.mark.parametrize("width, scheme", [(375, "dark"), (1280, "light")])
def test_uncited_sentences_are_marked_listed_and_the_page_passes_axe(workbench, browser, width, scheme):
    root, base = workbench
    text = seed_of(root)
    context = browser.new_context(viewport={"width": width, "height": 740}, has_touch=width == 375,
                                  color_scheme=scheme)
    context.add_init_script(axe_source())
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(base + "preview/uncited/")
        items = page.locator(".uncited-list a")
        assert items.count() == 2    # line 6 (a repeat of line 4: cited there) and the added line
        href = items.first.get_attribute("href")
        items.first.click()
        page.wait_for_url("**/sources/one/#u-*")
        mark = page.locator("#" + href.split("#")[1])
        assert mark.text_content() == "وقال المتحدث إن المحادثات كانت “بناءة”."
        style = mark.evaluate("el => getComputedStyle(el).textDecorationStyle")
        assert style == "dotted" and mark.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
        assert page.locator("mark[data-at]").first.evaluate("el => getComputedStyle(el).textDecorationStyle") != "dotted"
        assert page.locator(".workbench-legend .uncited").is_visible()
        # with a citation showing: right to left, on the screen, no sideways scroll, and axe finds nothing
        start = text.index("واقترحت روسيا")
        select(page, start, start + len("واقترحت روسيا"))
        panel = page.locator("#cite-panel")
        assert panel.evaluate("el => getComputedStyle(el).direction") == "rtl"
        assert page.locator(".cite-snippet").evaluate("el => getComputedStyle(el).direction") == "ltr"
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= 740
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        for path in ("sources/one/", "preview/uncited/"):
            if path != "sources/one/":
                page.goto(base + path)
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            problems = [f"{path}: axe {v['id']}: {v['help']}: {v['nodes'][0]['html'][:120]}"
                        for v in result["violations"]]
            assert not problems, "\n".join(problems)
        assert not errors, errors    # the script ran under the page's CSP, nothing refused
    finally:
        context.close()
