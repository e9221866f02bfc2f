"""Stage 4: pages, links, citation markers and reference lists, highlighted source text, template errors."""
import re

import pytest

from sitegen import build
from sitegen.model import Error
from sitegen.urls import relative_url

from helpers import line_of, replace_in

EXPECTED_PAGES = ["index.html", "topics/meetings/index.html", "topics/flights/index.html", "timeline/index.html",
                  "disagreements/index.html", "entities/index.html", "entities/round-one/index.html",
                  "entities/darchiev/index.html", "sources/index.html", "sources/one/index.html",
                  "sources/two/index.html", "about/index.html", "404.html"]


def built(root, **kwargs):
    report = build(root, **kwargs)
    assert report.ok, report.errors
    return report.out_dir


def html(out, path):
    return (out / path).read_text(encoding="utf-8")


def test_every_page_is_rtl_arabic_with_title_and_description(project):
    out = built(project())
    for path in EXPECTED_PAGES:
        page = html(out, path)
        assert page.startswith('<!doctype html>\n<html lang="ar" dir="rtl">'), path
        assert '<meta charset="utf-8">' in page and 'name="viewport"' in page
        assert re.search(r"<title>[^<]+</title>", page) and 'name="description" content="' in page


def test_relative_links_work_from_any_depth():
    assert relative_url("index.html", "topics/a/index.html") == "topics/a/"
    assert relative_url("topics/a/index.html", "index.html") == "../../"
    assert relative_url("topics/a/index.html", "sources/b/index.html#q-1-2") == "../../sources/b/#q-1-2"
    assert relative_url("topics/a/index.html", "topics/a/index.html#x") == "#x"
    assert relative_url("sources/b/index.html", "static/style.abc.css") == "../../static/style.abc.css"


def test_404_links_start_from_the_base_url_path(project):
    out = built(project())
    page = html(out, "404.html")
    assert 'href="/demo/static/style.' in page and 'href="/demo/sources/"' in page
    assert 'name="robots" content="noindex"' in page


def test_topic_page_numbers_markers_and_letters_backlinks(project):
    out = built(project())
    page = html(out, "topics/meetings/index.html")
    # source "one" is cited three times on this page: one reference, backlinks أ ب ج
    assert '<summary id="cite-1-1" aria-label="المرجع ١">[١]</summary>' in page
    assert '<summary id="cite-1-3" aria-label="المرجع ١">[١]</summary>' in page
    # each marker opens its quote, the article with its date and the way to the passage, below the sentence
    start = page.index('<summary id="cite-1-1"')
    note = page[start:page.index("</details>", start)]
    assert "<q>" in note and "<cite>" in note and "<time datetime=" in note
    assert 'class="passage-link" href="../../sources/one/#q-' in note
    ref1 = page[page.index('<li id="ref-1">'):page.index('<li id="ref-2">')]
    assert [m for m in re.findall(r'href="#(cite-[\d-]+)"[^>]*>(.)</a>', ref1)] == \
        [("cite-1-1", "أ"), ("cite-1-2", "ب"), ("cite-1-3", "ج")]
    assert "<q>اجتمع الوفدان في إسطنبول يوم الخميس</q>" in ref1
    assert 'href="../../sources/one/#q-20-55"' in ref1
    assert '<article class="fact" id="met-in-istanbul">' in page


def test_a_source_cited_once_gets_a_plain_backlink(project):
    out = built(project())
    page = html(out, "topics/flights/index.html")
    assert '<a href="#cite-1-1" aria-label="عودة إلى موضع الاستشهاد">↑</a>' in page


# Edits of the reference list's macros (partials/footnotes.html), each with what a topic page then shows: on
# "meetings" sources one and two are cited three times each, on "flights" one source once.
FOOTNOTES_EDITS = {
    "lettered backlink": ('<a href="#{{ use.marker_id }}"', '<a class="back" href="#{{ use.marker_id }}"',
                          "meetings", r'<a class="back" href="#cite-1-2" aria-label="[^"]*ب">ب</a>'),
    "single backlink": ('">↑</a>', '">↑ {{ ref.uses[0].letter }}|</a>',
                        "flights", r'<a href="#cite-1-1" [^>]*>↑ \|</a>'),
    "a reference's place in the list": ('<li id="{{ ref.id }}">', '<li id="{{ ref.id }}" data-n="{{ loop.index }}">',
                                        "meetings", r'<li id="ref-1" data-n="1">(.|\n)*<li id="ref-2" data-n="2">'),
    "the number as it is": ("{{ digits(ref.number) }}.", "{{ ref.number }}/{{ digits(ref.number) }}.",
                            "meetings", r'<span class="ref-number">2/٢.</span>'),
    "what the source says": ("{{ cited_source(ref.source) }}",
                             "{{ ref.source.headline }}|{{ cited_source(ref.source) }}",
                             "meetings", r"عنوان المقال الأول\|<cite>"),
}


@pytest.mark.parametrize("edit", sorted(FOOTNOTES_EDITS))
def test_the_reference_list_is_its_template(project, edit):
    """The list is filled in from formats its macros make (references.py): an edit of them shows on the pages."""
    root = project()
    old, new, topic, shown = FOOTNOTES_EDITS[edit]
    replace_in(root / "templates/partials/footnotes.html", old, new)
    page = html(built(root), f"topics/{topic}/index.html")
    assert re.search(shown, page), page[page.index('<section class="references"'):]


def test_source_page_highlights_each_quoted_span_with_an_id(project):
    out = built(project())
    page = html(out, "sources/one/index.html")
    assert '<p id="p-3" class="para cited"><mark id="q-20-55">اجتمع الوفدان في إسطنبول يوم الخميس</mark>' in page
    # the span is followed by links to what cites it
    assert re.search(r'</mark><sup class="cited-by"><a href="../../topics/meetings/#met-in-istanbul"', page)
    # furniture is shown apart
    furniture = page[page.index('<aside class="furniture"'):]
    assert "أخبار ذات صلة" in furniture and "شارك" in furniture
    assert "أخبار ذات صلة" not in page[:page.index('<aside class="furniture"')]
    # Latin runs in quotes are isolated
    assert '<bdi dir="ltr">Türkiye</bdi>' in page


def test_a_quote_across_a_line_break_is_marked_in_both_paragraphs(project):
    out = built(project())
    page = html(out, "sources/two/index.html")
    first = re.search(r'<p id="p-4"[^>]*>(.*?)</p>', page).group(1)
    second = re.search(r'<p id="p-5"[^>]*>(.*?)</p>', page).group(1)
    assert first.startswith('<mark id="q-') and "<mark>بعد بدء الحرب</mark>" in second


def test_excerpt_mode_shows_only_cited_sentences(project):
    root = project()
    replace_in(root / "site.yaml", "digits: arab", "digits: arab\nsource_text: excerpts")
    out = built(root)
    page = html(out, "sources/one/index.html")
    assert "المقاطع المستشهد بها من المقال" in page
    assert "أخبار ذات صلة" not in page  # uncited furniture is not reprinted
    assert '<mark id="q-20-55">' in page


def test_digits_follow_site_yaml(project):
    root = project()
    out = built(root)
    assert "<time datetime=\"2025-02-27\">٢٧ فبراير ٢٠٢٥</time>" in html(out, "topics/meetings/index.html")
    replace_in(root / "site.yaml", "digits: arab", "digits: latn")
    out = built(root)
    assert "<time datetime=\"2025-02-27\">27 فبراير 2025</time>" in html(out, "topics/meetings/index.html")


def test_timeline_orders_by_date_and_year_only_dates_come_last_in_their_year(project):
    out = built(project())
    page = html(out, "timeline/index.html")
    assert page.index('id="flights-suspended"') < page.index('id="met-in-istanbul"') < \
        page.index('id="flights-proposal"')


def test_disagreements_page_shows_variants_side_by_side(project):
    out = built(project())
    page = html(out, "disagreements/index.html")
    assert 'id="talks-constructive"' in page and page.count('<div class="variants">') == 1


def test_markdown_raw_html_is_escaped(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", 'text: "اقترحت روسيا استئناف الرحلات المباشرة."',
               'text: "اقترحت <script>alert(1)</script> [x](javascript:alert(1))"')
    page = html(built(root), "topics/flights/index.html")
    assert "<script" not in page and "javascript:" not in page
    assert 'اقترحت &lt;<bdi dir="ltr">script</bdi>&gt;' in page  # shown as text, Latin isolated


def test_template_syntax_error_names_template_and_line(project):
    root = project()
    replace_in(root / "templates/topic.html", "  {{ fact(f) }}\n{% endfor %}", "  {{ fact(f) }}\n{% endfo %}")
    report = build(root)
    line = line_of(root / "templates/topic.html", "{% endfo %}")
    assert report.errors == [Error("templates/topic.html", line, "template syntax: Encountered unknown tag 'endfo'. "
                                   "Jinja was looking for the following tags: 'endfor' or 'else'. The innermost "
                                   "block that needs to be closed is 'for'.")]


def test_undefined_variable_names_template_and_line(project):
    root = project()
    replace_in(root / "templates/topic.html", "<h1>{{ topic.title }}</h1>", "<h1>{{ topic.titel }}</h1>")
    report = build(root)
    assert len(report.errors) == 1
    assert report.errors[0].path == "templates/topic.html"
    assert report.errors[0].line == line_of(root / "templates/topic.html", "topic.titel")
    assert "titel" in report.errors[0].message


def test_plain_sentences_skip_markdown_but_read_the_same():
    from conftest import ROOT
    from sitegen.load import load
    from sitegen.text import PLAIN_SENTENCE, Formatter

    site, _ = load(ROOT)
    texts = [f.text for f in site.facts()] + [v.text for f in site.facts() for v in f.variants]
    texts += ["Trump قال 27 فبراير 2025", "1. قائمة", "- بند", "نص *مائل*", "A320 و 42", "# عنوان", "نص  "]
    for digits in ("arab", "latn"):
        fast, slow = Formatter(digits), Formatter(digits, shortcut=False)
        for text in texts:
            assert fast.markdown(text) == slow.markdown(text), text
    assert sum(bool(PLAIN_SENTENCE.match(t)) for t in texts) > len(texts) / 2  # the fast path is taken


TWO_CORES = """
import sys
from pathlib import Path
from sitegen.citations import resolve_citations
from sitegen.load import load
from sitegen.parallel import can_fork
from sitegen.render import Renderer, make_env, plan_pages
from sitegen.write import collect_assets
import sitegen.load
root = Path(sys.argv[1])
site, _ = load(root)
sitegen.load.PARALLEL_FROM_BYTES = 0  # topic files read on two cores: the same site, the same errors
assert load(root) == (site, [])
resolve_citations(site)
env, assets = make_env(root / "templates"), collect_assets(root)[0]
assert can_fork()  # a fresh single-threaded process: the second renderer really is forked
def render(env, parallel):
    pages, errors = Renderer(site, env, assets, False).render(plan_pages(site), parallel=parallel)
    return {path: r.html for path, r in pages.items()}, errors
serial, errors = render(env, False)
both, more = render(env, True)
assert errors == more == [] and both == serial and list(both) == list(serial)
print("same bytes from", len(both), "pages")
# a template error met by either process is reported once, with its file and line
template = root / "templates/source.html"
template.write_text(template.read_text(encoding="utf-8").replace("source.headline|bidi", "source.headlin"))
_, errors = render(make_env(root / "templates"), True)
print([(e.path, e.line) for e in errors])
fact = root / "templates/partials/fact.html"  # facts are rendered on two cores before the pages
fact.write_text(fact.read_text(encoding="utf-8").replace("f.text", "f.txt"))
_, errors = render(make_env(root / "templates"), True)
print([(e.path, e.line) for e in errors])
broken = root / "content/topics/meetings.yaml"
broken.write_text(broken.read_text(encoding="utf-8").replace("facts:", "facts: [", 1))
on_two_cores = load(root)[1]
sitegen.load.PARALLEL_FROM_BYTES = 10**9
print(on_two_cores == load(root)[1] != [])
"""


def test_rendering_on_two_cores_gives_the_same_bytes_and_reports_errors(project):
    import subprocess
    import sys

    from conftest import ROOT

    # its own process: this test process may have threads (the browser's), and then render() will not fork
    result = subprocess.run([sys.executable, "-c", TWO_CORES, str(project())], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    line = line_of(ROOT / "templates/source.html", "source.headline|bidi")
    fact_line = line_of(ROOT / "templates/partials/fact.html", "f.text")
    assert result.stdout.splitlines() == ["same bytes from 15 pages", str([("templates/source.html", line)]),
                                          str([("templates/partials/fact.html", fact_line)]), "True"]


def test_a_missing_static_file_names_the_template_line_and_the_file(project):
    root = project()
    (root / "static/favicon.svg").unlink()
    report = build(root)
    assert report.errors == [Error("templates/base.html", line_of(root / "templates/base.html", "favicon.svg"),
                                   "static file 'static/favicon.svg' not found")]


def test_each_cited_by_list_names_a_fact_once(real_site):
    for page in (real_site / "sources").glob("*/index.html"):
        for sup in re.findall(r'<sup class="cited-by">(.*?)</sup>', page.read_text(encoding="utf-8")):
            numbers = re.findall(r">([^<]+)</a>", sup)
            assert len(numbers) == len(set(numbers)), (page, numbers)
            assert numbers == sorted(numbers, key=int)


def test_a_long_timeline_is_split_into_linked_pages_holding_each_dated_fact_once(project):
    root = project()
    replace_in(root / "site.yaml", "digits: arab", "digits: arab\ntimeline_page_size: 1")
    out = built(root)
    pages = sorted(out.glob("timeline/**/index.html"))
    assert [p.relative_to(out).as_posix() for p in pages] == [
        "timeline/2/index.html", "timeline/3/index.html", "timeline/index.html"]
    ids = [re.findall(r'<article class="fact" id="([^"]+)"', p.read_text(encoding="utf-8")) for p in pages]
    assert sorted(i for page in ids for i in page) == ["flights-proposal", "flights-suspended", "met-in-istanbul"]
    second = html(out, "timeline/2/index.html")
    assert second.count('<nav class="pager"') == 2
    assert '<a href="../../timeline/2/" aria-current="page" aria-label="الصفحة ٢">٢</a>' in second
    assert '<a href="../../timeline/" aria-label="الصفحة ١">١</a>' in second  # digits: arab
    assert '<a class="pager-step" href="../../timeline/3/" rel="next">' in second
    assert "<title>الخط الزمني (الصفحة ٢ من ٣)" in second and '<p class="page-range">الواقعة ٢</p>' in second
    # the usual size: one page, no pager
    assert '<nav class="pager"' not in html(built(project()), "timeline/index.html")


def test_the_reference_list_may_come_before_the_facts_it_numbers(project):
    below = html(built(project()), "topics/meetings/index.html")
    root = project()
    template = root / "templates/topic.html"
    text = template.read_text(encoding="utf-8").replace("{{ references() }}\n", "")
    template.write_text(text.replace('<section class="facts"', '{{ references() }}\n<section class="facts"'),
                        encoding="utf-8")
    above = html(built(root), "topics/meetings/index.html")
    references = re.compile(r'<section class="references".*?</section>', re.S)
    markers = re.compile(r'<summary id="cite-.*?</summary>', re.S)
    assert above.index('class="references"') < above.index('class="facts"')
    assert references.search(above).group(0) == references.search(below).group(0)
    assert markers.findall(above) == markers.findall(below) != []
