"""Long lists in pages (facts_per_page, timeline_page_size): where each page of a topic is, what it shows, the links
between the pages, and that every link to a fact, anywhere in the site, its sitemap and its search index, lands on
the page that shows the fact."""
from __future__ import annotations

import gzip
import json
import posixpath
import re
from pathlib import Path

from sitegen import build
from sitegen.model import Error

from helpers import line_of, replace_in

FLIGHTS = "content/topics/flights.yaml"
EXTRA = """  - id: extra-{n}
    text: "واقعة إضافية رقم {n}."
    citations:
      - source: two
        quote: "وكانت الرحلات الجوية قد علقت عام 2022 بعد بدء الحرب"
"""


def paged(project, per_page: int, extra: int = 0, timeline: int | None = None, fixture: str = "basic") -> Path:
    """A fixture with `per_page` facts a topic page; `extra` more facts at the end of flights."""
    root = project(fixture)
    settings = f"facts_per_page: {per_page}" + (f"\ntimeline_page_size: {timeline}" if timeline else "")
    replace_in(root / "site.yaml", "digits: arab", f"digits: arab\n{settings}")
    with open(root / FLIGHTS, "a", encoding="utf-8") as f:
        f.write("".join(EXTRA.format(n=n) for n in range(1, extra + 1)))
    return root


def built(root: Path) -> Path:
    report = build(root)
    assert report.ok, report.errors
    return report.out_dir


def html(out: Path, path: str) -> str:
    return (out / path).read_text(encoding="utf-8")


def fact_ids(page: str) -> list[str]:
    return re.findall(r'<article class="fact" id="([^"]+)"', page)


def topic_fact_ids(root: Path, topic: str) -> list[str]:
    return re.findall(r"^  - id: (\S+)", (root / f"content/topics/{topic}.yaml").read_text(encoding="utf-8")
                      .split("\nfacts:\n", 1)[1], re.M)


def pager(page: str, label: str) -> str:
    return re.search(rf'<nav class="pager" aria-label="{label}">(.*?)</nav>', page, re.S).group(1)


def listed(nav: str) -> tuple[list[str], list[str]]:
    """What a pager lists on a wide screen and on a phone (static/style.css hides pager-narrow and pager-wide)."""
    items = re.findall(r'<li(?: class="([^"]*)")?>(?:<a[^>]*>)?([^<]+)', nav)
    return ([text for cls, text in items if "pager-narrow" not in cls],
            [text for cls, text in items if "pager-wide" not in cls])


def target_file(out: Path, page: str, href: str) -> Path:
    """The file a relative link of `page` (an output path) leads to."""
    path = posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
    return out / path / "index.html" if (out / path).is_dir() else out / path


def test_a_long_topic_is_split_into_pages_of_its_facts_in_file_order(project):
    root = paged(project, per_page=2, extra=3)     # flights: 5 facts
    out = built(root)
    assert sorted(p.relative_to(out).as_posix() for p in (out / "topics/flights").rglob("index.html")) == [
        "topics/flights/2/index.html", "topics/flights/3/index.html", "topics/flights/index.html"]
    pages = [html(out, p) for p in ("topics/flights/index.html", "topics/flights/2/index.html",
                                    "topics/flights/3/index.html")]
    assert [fact_ids(p) for p in pages] == [["flights-proposal", "flights-suspended"], ["extra-1", "extra-2"],
                                            ["extra-3"]]
    assert sum(map(fact_ids, pages), []) == topic_fact_ids(root, "flights")
    titles = [re.search(r"<title>(.*?)</title>", p).group(1) for p in pages]
    assert titles == [f"الرحلات الجوية (الصفحة {n} من ٣) · موقع تجريبي" for n in "١٢٣"]
    assert '<p class="page-range">الوقائع من ٣ إلى ٤</p>' in pages[1]
    assert '<p class="page-range">الواقعة ٥</p>' in pages[2]
    # each page is its own canonical address, and the sitemap lists them all
    for n, page in zip(("", "2/", "3/"), pages):
        assert f'<link rel="canonical" href="https://example.org/demo/topics/flights/{n}">' in page
    sitemap = html(out, "sitemap.xml")
    assert all(f"<loc>https://example.org/demo/topics/flights/{n}</loc>" in sitemap for n in ("", "2/", "3/"))
    # the names of a topic are listed on its first page; the site's menu marks the topic on every page
    meetings = [html(out, "topics/meetings/index.html"), html(out, "topics/meetings/2/index.html")]
    assert 'id="entities-heading"' in meetings[0] and 'id="entities-heading"' not in meetings[1]
    assert 'href="../../topics/meetings/" aria-current="page">' in meetings[0]
    assert 'href="../../../topics/meetings/" aria-current="true">' in meetings[1]


def test_the_pager_links_the_previous_next_first_last_and_nearest_pages(project):
    out = built(paged(project, per_page=1, extra=12))     # flights: 14 pages
    seventh = html(out, "topics/flights/7/index.html")
    top, foot = pager(seventh, "صفحات هذا الموضوع"), pager(seventh, "صفحات هذا الموضوع، أسفل الصفحة")
    assert top == foot
    assert listed(top) == (["١", "…", "٥", "٦", "٧", "٨", "٩", "…", "١٤"], ["١", "…", "٦", "٧", "٨", "…", "١٤"])
    assert '<a class="pager-step" href="../../../topics/flights/6/" rel="prev">الصفحة السابقة</a>' in top
    assert '<a class="pager-step" href="../../../topics/flights/8/" rel="next">الصفحة التالية</a>' in top
    assert '<li><a href="../../../topics/flights/7/" aria-current="page" aria-label="الصفحة ٧">٧</a></li>' in top
    assert '<li><a href="../../../topics/flights/" aria-label="الصفحة ١">١</a></li>' in top
    first, last = html(out, "topics/flights/index.html"), html(out, "topics/flights/14/index.html")
    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert 'rel="prev"' in last and 'rel="next"' not in last
    # one skipped page is shown rather than an ellipsis; a phone lists one page either side of this one
    fourth = pager(html(out, "topics/flights/4/index.html"), "صفحات هذا الموضوع")
    assert listed(fourth) == (["١", "٢", "٣", "٤", "٥", "٦", "…", "١٤"], ["١", "٢", "٣", "٤", "٥", "…", "١٤"])
    fifth = pager(html(out, "topics/flights/5/index.html"), "صفحات هذا الموضوع")
    assert listed(fifth) == (["١", "٢", "٣", "٤", "٥", "٦", "٧", "…", "١٤"], ["١", "…", "٤", "٥", "٦", "…", "١٤"])


def test_every_link_to_a_fact_lands_on_the_page_that_shows_it(project):
    """Anywhere: topic pages, the timeline (in pages too), entity and source pages (cited by), the home page and
    issues page (what became of each matter), the disagreements page; and the search index's records."""
    root = paged(project, per_page=1, extra=2, timeline=2, fixture="answer")
    out = built(root)
    facts = set(topic_fact_ids(root, "flights") + topic_fact_ids(root, "meetings"))
    checked = set()
    for file in out.rglob("*.html"):
        page = file.relative_to(out).as_posix()
        if page == "404.html":
            continue
        for href in re.findall(r'href="([^"]*)"', file.read_text(encoding="utf-8")):
            address, _, anchor = href.partition("#")
            if anchor in facts:
                target = target_file(out, page, address) if address else file
                assert f'<article class="fact" id="{anchor}">' in target.read_text(encoding="utf-8"), (page, href)
                checked.add((page.split("/")[0], anchor))
    assert {kind for kind, _ in checked} >= {"topics", "timeline", "entities", "sources", "index.html", "issues",
                                              "disagreements"}
    assert {anchor for _, anchor in checked} == facts
    records = [json.loads(gzip.decompress(f.read_bytes())[len(b"pagefind_dcd"):])
               for f in out.glob("pagefind/*/fragment/*")]
    urls = [r["url"] for r in records if r["filters"].get("kind") == ["fact"]]
    assert len(urls) == len(facts)
    for url in urls:
        path, _, anchor = url.partition("#")
        assert f'<article class="fact" id="{anchor}">' in html(out, path.lstrip("/") + "index.html"), url
    # the preview's citation workbench: the facts already citing a passage of an article, with their links
    preview = build(root, root / "preview", "http://127.0.0.1:8000/", preview=True).out_dir
    citers = [(source.relative_to(preview).as_posix(), link) for source in preview.glob("sources/*/index.html")
              for _, link in json.loads(re.search(r'<script type="application/json" id="cite-data">(.*?)</script>',
                                                  source.read_text(encoding="utf-8"), re.S).group(1))["citers"]]
    assert {link.partition("#")[2] for _, link in citers} >= facts
    for source, link in citers:
        address, _, anchor = link.partition("#")
        if anchor in facts:
            page = target_file(preview, source, address).read_text(encoding="utf-8")
            assert f'<article class="fact" id="{anchor}">' in page, link


def test_a_link_to_a_fact_on_another_page_of_its_topic_is_an_error_that_names_the_page(project):
    root = paged(project, per_page=2, extra=1)
    about = root / "content/pages/about.md"
    with open(about, "a", encoding="utf-8") as f:
        f.write("\n[الواقعة](../topics/flights/#extra-1)\n")
    report = build(root)
    assert report.errors == [Error("content/pages/about.md", line_of(about, "#extra-1"),
                                   "link '../topics/flights/#extra-1' points to #extra-1, which "
                                   "topics/flights/index.html does not have; fact 'extra-1' is on topics/flights/2/: "
                                   "link to '../topics/flights/2/#extra-1' (on about/index.html)")]
    replace_in(about, "../topics/flights/#extra-1", "../topics/flights/2/#extra-1")
    assert build(root).ok


def test_facts_per_page_must_be_a_whole_number_of_one_or_more(project):
    for value, message in (("0", "'facts_per_page' must be 1 or more"),
                           ("كثيرة", "'facts_per_page' in site.yaml must be a whole number")):
        root = project()
        replace_in(root / "site.yaml", "digits: arab", f"digits: arab\nfacts_per_page: {value}")
        errors = build(root).errors
        assert [(e.path, e.line) for e in errors] == [("site.yaml", line_of(root / "site.yaml", "facts_per_page"))]
        assert message in errors[0].message, errors


def test_the_real_sites_topics_each_fit_one_page(real_site):
    for topic in (real_site / "topics").iterdir():
        assert [p.name for p in topic.iterdir()] == ["index.html"], topic
        assert '<nav class="pager"' not in (topic / "index.html").read_text(encoding="utf-8")


def test_the_preview_names_the_page_of_a_topic_now_holding_a_fact(project, tmp_path):
    """What place.js asks when the fact the editor was reading is no longer on the reloaded page: the page of the
    same series (a topic, the timeline) that holds it now; nothing for an id no page has, or a page outside."""
    import urllib.parse
    from test_serve import fetch, preview_server

    root = paged(project, 2, extra=4, timeline=1)
    ids = topic_fact_ids(root, "flights")
    with preview_server(root, tmp_path / "out", search=False) as (preview, url):
        def ask(page: str, ident: str):
            status, body = fetch(url + "_preview/place?" + urllib.parse.urlencode({"page": page, "id": ident}))
            return json.loads(body)["page"] if status == 200 else status

        assert ask("/topics/flights/", ids[5]) == "/topics/flights/3/"
        assert ask("/topics/flights/3/", ids[0]) == "/topics/flights/"
        assert ask("/topics/flights/2/", ids[3]) == "/topics/flights/2/"
        shown = fact_ids(html(preview.out, "timeline/2/index.html"))[0]
        assert ask("/timeline/", shown) == "/timeline/2/"
        assert ask("/topics/flights/", "no-such-fact") == 404
        assert ask("/topics/../../", ids[0]) == 404
        assert ask("topics/flights/", ids[0]) == 404
