"""Search on the real site in headless Chromium: Arabic written with or without hamza, diacritics, ة or ه, ى or ي
finds the same results; every spelling of every person finds that person; the page without JavaScript; axe with
results on screen."""
from __future__ import annotations

import json

import pytest

from tools.checks import axe_source

pytestmark = pytest.mark.browser

# the results on screen are those of this query and topic (search.js sets both once it has shown them)
SHOWN = """([q, topic]) => { const list = document.getElementById('search-results');
                            return list.dataset.query === q && list.dataset.topic === topic; }"""


@pytest.fixture(scope="module")
def facts(real_site):
    return json.loads((real_site / "data" / "facts.json").read_text(encoding="utf-8"))


@pytest.fixture
def search(real_site, static_server, page):
    """search(query, topic="") -> the addresses of the results, best first, relative to the site root."""
    base = static_server(real_site, "/sub/")
    page.goto(base + "search/")

    def run(query: str, topic: str = "") -> list[str]:
        page.select_option("#search-topic", value=topic)
        page.fill("#search-query", query)
        page.wait_for_function(SHOWN, arg=[query, topic])
        return [href[len(base):] for href in page.eval_on_selector_all(".result-text a", "as => as.map(a => a.href)")]

    return run


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
def test_spellings_of_a_word_find_the_same_results(search, written, as_typed, expected):
    found = search(written)
    assert any(url.startswith(expected) for url in found[:5]), (written, found[:5])
    assert search(as_typed) == found


def test_every_spelling_of_every_person_finds_them(search, facts, page):
    """A person's full name, in each spelling the articles give, puts their page in the top three; the family name
    alone, in each spelling, puts something about them first: their page, a fact that names them, or a result whose
    text has the name. (Their own page is not always near the top then: many facts name them, and stemming adds
    near words: «بروس» is also «ب» + «روس».)"""
    naming = {}
    for fact in facts["facts"]:
        for ident in fact["entities"]:
            naming.setdefault(ident, set()).add(f"topics/{fact['topic']}/#{fact['id']}")
    problems = []
    people = [e for e in facts["entities"] if e["kind"] == "person"]
    assert len(people) >= 5 and any(len(p["names"]) >= 3 for p in people)
    for person in people:
        own = f"entities/{person['id']}/"
        for name in {n["text"] for n in person["names"]} | {person["name"]}:
            assert len(name.split()) >= 2, name
            found = search(name)
            if own not in found[:3]:
                problems.append(f"{name}: {found[:3]}")
            family = name.split()[-1]
            top = search(family)
            text = page.eval_on_selector_all(".result-text a", "as => as.length ? as[0].textContent : ''")
            if not top or not (top[0] == own or top[0] in naming.get(person["id"], ()) or family in text):
                problems.append(f"{family}: {top}")
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
