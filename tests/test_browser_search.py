"""Search on the real site in headless Chromium: Arabic written with or without hamza, diacritics, ة or ه, ى or ي
finds the same results; a person's name, whole or one word of it, and any other entity's name whole bring its own
page first; the same with the index in parts, as a large site's is; the page without JavaScript; axe with results
on screen."""
from __future__ import annotations

import json

import pytest

import sitegen.search
from conftest import ROOT
from sitegen import build
from sitegen.search import fold
from tools.checks import axe_source

pytestmark = pytest.mark.browser

# the results on screen are those of this query and topic (search.js sets both once it has shown them)
SHOWN = """([q, topic]) => { const list = document.getElementById('search-results');
                            return list.dataset.query === q && list.dataset.topic === topic; }"""


@pytest.fixture(scope="module")
def facts(real_site):
    return json.loads((real_site / "data" / "facts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site_in_parts(tmp_path_factory):
    """The real site with its search index in four parts, as a site of more than 6,000 records has it."""
    out = tmp_path_factory.mktemp("parts") / "_site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sitegen.search, "PART_RECORDS", 40)
        report = build(ROOT, out)
    assert report.ok, "\n".join(map(str, report.errors))
    assert len(json.loads(next(out.glob("pagefind/*/parts.json")).read_bytes())) == 3
    return out


@pytest.fixture(params=["one index", "in parts"])
def any_site(request, real_site):
    return real_site if request.param == "one index" else request.getfixturevalue("site_in_parts")


def searcher(site, static_server, page):
    """search(query, topic="") -> the addresses of the results, best first, relative to the site root."""
    base = static_server(site, "/sub/")
    page.goto(base + "search/")

    def run(query: str, topic: str = "") -> list[str]:
        page.select_option("#search-topic", value=topic)
        page.fill("#search-query", query)
        page.wait_for_function(SHOWN, arg=[query, topic])
        return [href[len(base):] for href in page.eval_on_selector_all(".result-text a", "as => as.map(a => a.href)")]

    return run


@pytest.fixture
def search(real_site, static_server, page):
    return searcher(real_site, static_server, page)


@pytest.fixture
def search_any(any_site, static_server, page):
    """search() on the real site, with its index whole and in parts."""
    return searcher(any_site, static_server, page)


@pytest.mark.parametrize("written,as_typed,expected", [
    ("الرحلات الجوية", "الرحلات الجويه", "topics/flights/"),                           # ة typed as ه
    ("إسطنبول", "اسطنبول", "entities/istanbul-round-"),                                # hamza under alef, or none
    ("أوكرانيا", "اوكرانيا", "topics/flights/#flights-suspended-2022"),                # hamza over alef, or none
    ("الحدّ من عدد الدبلوماسيين", "الحد من عدد الدبلوماسيين", "topics/embassies/#"),  # shadda, or none
    ("اتُّفق عليه في الرياض", "اتفق عليه في الرياض", "topics/embassies/#"),           # damma and shadda
    ("أدى الطرد", "ادي الطرد", "topics/embassies/#"),                                   # ى typed as ي, no hamza
    ("سفير روسيا لدى واشنطن", "سفير روسيا لدي واشنطن", "entities/darchiev/"),
    ("الجـولة الثانية", "الجولة الثانية", "entities/istanbul-round-2/"),                # tatweel
])
def test_spellings_of_a_word_find_the_same_results(search_any, written, as_typed, expected):
    found = search_any(written)
    assert any(url.startswith(expected) for url in found[:5]), (written, found[:5])
    assert search_any(as_typed) == found


def test_the_addresses_and_kinds_of_records_are_not_searched(search_any):
    """Readers find what the site says, not its addresses or the search page's labels: the words of a result's URL
    (a folder, a topic's or a person's id) and the kinds of record find nothing, in one index and in parts."""
    for query in ["flights", "entities", "darchiev", "timeline", "istanbul-round-2", "topics", "fact"]:
        assert search_any(query) == [], query


def test_a_fact_is_found_by_what_it_says_not_by_the_headlines_of_the_articles_it_cites(search_any, facts):
    """Each fact's result names its articles, but their headlines are not searched with the fact: RT's headline
    («تعلق روسيا على أحدث المحادثات»), which no fact says, finds the article's own page, not the facts citing it."""
    rt = next(s for s in facts["sources"] if s["id"] == "rt-comments")
    assert sum(c["source"] == "rt-comments" for f in facts["facts"] for c in f["citations"]) > 10
    assert search_any(rt["name"]) == ["sources/rt-comments/"]


def test_an_index_in_parts_finds_what_one_index_finds(real_site, site_in_parts, static_server, browser, facts):
    """The parts are merged into one search: every query finds the same records, whatever part holds them, and
    the topic filter and the names' own pages work across parts (their order may differ: each part scores alone)."""
    context = browser.new_context()
    try:
        whole, parts = (searcher(site, static_server, context.new_page()) for site in (real_site, site_in_parts))
        queries = ["الرحلات", "السفارات", "دارشييف", "روسيا", "اسطنبول", "القنصليات", "الممتلكات الدبلوماسية"]
        queries += [e["name"] for e in facts["entities"][:10]]
        for query in queries:
            found = whole(query)
            assert found, query
            in_parts = parts(query)
            assert len(found) == 20 or set(in_parts) == set(found), query
            assert in_parts[0] == found[0] or not found[0].startswith("entities/"), query
        assert set(parts("دارشييف", topic="الرحلات الجوية")) == set(whole("دارشييف", topic="الرحلات الجوية"))
    finally:
        context.close()


def test_every_spelling_of_every_person_and_each_word_of_it_brings_their_page_first(search_any, facts):
    """A person's name in each spelling the articles give, whole or one word of it (a family name alone: «لافروف»,
    «دارتشييف»), puts their own page first, above the facts that mention them; words no other person's names hold."""
    people = [e for e in facts["entities"] if e["kind"] == "person"]
    assert len(people) >= 5 and any(len(p["names"]) >= 3 for p in people)
    names = {p["id"]: {n["text"] for n in p["names"]} | {p["name"]} for p in people}
    words = {p: {w for name in ns for w in fold(name).split()} for p, ns in names.items()}
    problems = []
    for person, own_names in names.items():
        others = set().union(*(w for p, w in words.items() if p != person))
        queries = sorted(own_names) + sorted(w for name in own_names for w in name.split() if fold(w) not in others)
        assert any(len(q.split()) == 1 for q in queries), person
        for query in queries:
            found = search_any(query)
            if found[:1] != [f"entities/{person}/"]:
                problems.append(f"{query}: {found[:3]}")
    assert not problems, "\n".join(problems)


def test_every_name_of_a_place_organisation_or_meeting_brings_its_page_first(search_any, facts):
    """Any other entity by one of its names whole, as the articles write it («روسيا», «كيلينورث»); a meeting by the
    site's name for it. Two entities the articles name together («القنصليات ... في سان فرانسيسكو وسياتل») come first
    together."""
    named: dict[str, set[str]] = {}
    for entity in facts["entities"]:
        if entity["kind"] != "person":
            articles = {n["text"] for n in entity["names"]} if entity["kind"] != "meeting" else set()
            for name in {entity["name"]} | articles:
                named.setdefault(name, set()).add(f"entities/{entity['id']}/")
    assert len(named) >= 20
    problems = []
    for name, pages in sorted(named.items()):
        found = search_any(name)
        if set(found[:len(pages)]) != pages:
            problems.append(f"{name}: {found[:3]}, not {sorted(pages)}")
    assert not problems, "\n".join(problems)


def test_results_show_the_sentence_its_topic_and_its_articles_and_filter_by_topic(search, real_site, page):
    found = search("دارشييف")
    assert found[0] == "entities/darchiev/"     # a name as an article spells it: its page first
    first = page.locator(".result").filter(has=page.locator(".result-kind", has_text="واقعة")).first
    assert first.locator(".result-topic span").inner_text()
    assert "«" in first.locator(".result-sources span").inner_text()
    assert first.locator(".result-text mark").count() >= 1
    assert "#" in found[1]
    flights = search("دارشييف", topic="الرحلات الجوية")
    assert flights and set(flights) < set(found) and all(url.startswith("topics/flights/") for url in flights)
    # the address keeps the query: a reload, or a shared link, shows the same results
    page.reload()
    page.wait_for_function(SHOWN, arg=["دارشييف", "الرحلات الجوية"])
    assert page.input_value("#search-query") == "دارشييف" and page.input_value("#search-topic") == "الرحلات الجوية"


def test_without_javascript_the_page_says_so_and_links_to_topics_and_timeline(browser, real_site, static_server):
    base = static_server(real_site)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base + "search/")
        assert page.locator(".no-js").is_visible() and not page.locator("form.search-form").is_visible()
        links = page.eval_on_selector_all(".no-js a", "as => as.map(a => a.getAttribute('href'))")
        assert "../timeline/" in links and "../topics/flights/" in links
    finally:
        context.close()


@pytest.mark.parametrize("width,scheme", [(375, "dark"), (1280, "light")])
def test_search_page_with_results_passes_axe_and_fits(browser, real_site, static_server, width, scheme):
    base = static_server(real_site)
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    context.add_init_script(axe_source())
    errors = []
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "search/?q=" + "الرحلات")
        page.wait_for_function(SHOWN, arg=["الرحلات", ""])
        assert page.locator(".result").count() > 3
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    finally:
        context.close()
    assert [(v["id"], [n["html"][:100] for n in v["nodes"][:2]]) for v in result["violations"]] == []
    assert overflow <= 0 and errors == []
