"""In real headless Chromium: a marker opens its quote just below its line, on the screen of a phone and of a desktop,
light and dark, without moving the text (by click and keyboard, focus staying on the marker); one note is open at a
time; a variant's notes name the article it names; print shows none of them; the note leads to the highlighted
passage on the source page, outlined; backlinks return to the marker."""
import pytest

from tools.checks import axe_source

pytestmark = pytest.mark.browser

# the element's top edge is on screen (a long reference may run past the bottom)
IN_VIEW = """el => { const r = el.getBoundingClientRect();
                     return r.height > 0 && r.top >= 0 && r.top < window.innerHeight; }"""


def comes_into_view(locator) -> bool:
    """Wait until the element's top edge is on screen (the webfont arriving late may move it while the page
    settles); fails on the timeout if it never is."""
    element = locator.element_handle()
    element.wait_for_element_state("stable")
    locator.page.wait_for_function(IN_VIEW, arg=element)
    return True


MARKER = "details.cite > summary"
OPEN = "el => el.parentElement.open"
CLOSED = "el => !el.parentElement.open"
FOCUSED = "() => document.activeElement && document.activeElement.id"
# where a marker and its note are, and where the text after the marker's fact begins, in CSS pixels
PLACES = """s => { const box = e => { const r = e.getBoundingClientRect();
                                  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
                   const fact = s.closest('article') || s.closest('li');
                   return {marker: box(s), note: box(s.parentElement.querySelector('.note')),
                           next: box(fact.nextElementSibling || fact), text: box(s.closest('.fact-text, li')),
                           width: document.documentElement.clientWidth, height: innerHeight}; }"""


def as_heard(page, selector: str) -> tuple[str, str, bool]:
    """What Chromium tells a screen reader about an element: its role, its name and whether it is expanded."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"][0]
    states = {p["name"]: p["value"].get("value") for p in ax.get("properties", [])}
    return ax["role"]["value"], ax["name"]["value"], states.get("expanded")


def note_of(marker):
    return marker.locator("xpath=following-sibling::*[contains(@class, 'note')]")


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_marker_opens_its_quote_just_below_its_line_on_screen_over_the_text(browser, real_site, static_server,
                                                                            width, scheme):
    base = static_server(real_site, "/sub/")
    context = browser.new_context(viewport={"width": width, "height": 700}, color_scheme=scheme)
    context.add_init_script(axe_source())
    try:
        page = context.new_page()
        page.goto(base + "topics/talks/")
        page.wait_for_function("() => document.fonts.status === 'loaded'")     # the text is where it stays
        for n in (0, 4, 9):     # the first marker of a fact, one further in a line, one of a later fact
            marker = page.locator(MARKER).nth(n)
            note = note_of(marker)
            marker.evaluate("el => el.scrollIntoView({block: 'center'})")
            before = marker.evaluate(PLACES)
            assert not note.is_visible()
            marker.click()
            page.wait_for_function(OPEN, arg=marker.element_handle())
            assert note.is_visible()
            # the quoted words, the article's name and date, and the way to the passage
            assert note.locator("q").inner_text().strip() and note.locator("cite").inner_text().strip()
            assert note.locator("time").get_attribute("datetime")
            assert "#q-" in note.locator("a.passage-link").get_attribute("href")
            at = marker.evaluate(PLACES)
            box, mark = at["note"], at["marker"]
            # on the screen, whole, as wide as the text at most, and just below the marker's line
            assert 0 <= box["left"] < box["right"] <= at["width"], (n, at)
            assert 0 <= box["top"] and box["bottom"] <= at["height"], (n, at)
            assert mark["bottom"] <= box["top"] <= mark["bottom"] + 24, (n, at)
            # over the text: nothing around it moved
            assert (at["marker"], at["text"], at["next"]) == (before["marker"], before["text"], before["next"]), n
            # readable, and the page with it open passes axe (contrast included)
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            assert [(v["id"], [x["html"][:120] for x in v["nodes"][:2]]) for v in result["violations"]] == []
            marker.click()
            page.wait_for_function(CLOSED, arg=marker.element_handle())
            assert not note.is_visible()
    finally:
        context.close()


def test_a_marker_opens_by_keyboard_and_focus_stays_on_it(real_site, static_server, page):
    """A screen reader hears a disclosure named «المرجع 1», collapsed or expanded. Enter or Space on the marker
    opens and closes it; focus stays on the marker; Tab goes into the note (its article, then its passage) and
    Shift+Tab back. Escape does nothing to a <details>: the marker itself closes it."""
    base = static_server(real_site)
    page.goto(base + "topics/flights/")
    marker = page.locator(MARKER).first
    marker_id = marker.get_attribute("id")
    role, name, expanded = as_heard(page, f"#{marker_id}")
    assert role.startswith("DisclosureTriangle") and name == "المرجع 1" and expanded is False
    marker.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(OPEN, arg=marker.element_handle())
    assert page.evaluate(FOCUSED) == marker_id and as_heard(page, f"#{marker_id}")[2] is True
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.note') !== null")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED) == marker_id
    page.keyboard.press("Space")
    page.wait_for_function(CLOSED, arg=marker.element_handle())
    assert page.evaluate(FOCUSED) == marker_id and not note_of(marker).is_visible()
    # Enter again reopens it; its passage link leads to the passage, scrolled into view and outlined
    page.keyboard.press("Enter")
    page.wait_for_function(OPEN, arg=marker.element_handle())
    link = note_of(marker).locator("a.passage-link")
    anchor = link.get_attribute("href").split("#", 1)[1]
    link.click()
    page.wait_for_url(f"**/sources/**#{anchor}")
    mark = page.locator(f"mark#{anchor}")
    assert comes_into_view(mark)
    assert mark.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    plain = page.locator("mark:not(:target)").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert mark.evaluate("el => getComputedStyle(el).backgroundColor") != plain


def test_opening_a_marker_closes_the_one_open(real_site, static_server, page):
    base = static_server(real_site)
    page.goto(base + "topics/embassies/")
    first, other = page.locator(MARKER).nth(0), page.locator(MARKER).nth(6)
    first.click()
    page.wait_for_function(OPEN, arg=first.element_handle())
    other.focus()       # the open note may lie over the other marker: the keyboard reaches it anyway
    page.keyboard.press("Enter")
    page.wait_for_function(OPEN, arg=other.element_handle())
    page.wait_for_function(CLOSED, arg=first.element_handle())
    assert page.locator("details.cite[open]").count() == 1


def test_each_version_of_a_disputed_fact_names_its_article_and_its_notes_quote_it(real_site, static_server, page):
    base = static_server(real_site)
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(base + "disagreements/")
    versions = page.locator(".variants li")
    assert versions.count() >= 4
    for i in range(versions.count()):
        version = versions.nth(i)
        named = version.locator(".variant-source cite").all_inner_texts()
        assert named, version.inner_text()
        for j in range(version.locator(MARKER).count()):
            marker = version.locator(MARKER).nth(j)
            marker.evaluate("el => el.scrollIntoView({block: 'center'})")
            marker.click()
            page.wait_for_function(OPEN, arg=marker.element_handle())
            cited = note_of(marker).locator("cite").inner_text()       # the outlet, then the article's name
            assert any(cited.endswith(name) for name in named), (cited, named)
            marker.click()
            page.wait_for_function(CLOSED, arg=marker.element_handle())


def test_print_hides_the_notes_and_keeps_the_reference_list(real_site, static_server, page):
    base = static_server(real_site)
    page.goto(base + "topics/talks/")
    marker = page.locator(MARKER).first
    marker.click()
    page.wait_for_function(OPEN, arg=marker.element_handle())
    page.emulate_media(media="print")
    assert not note_of(marker).is_visible()
    assert page.locator(".references q").first.is_visible()
    assert page.locator(".references .print-url").first.is_visible()


def test_reference_list_backlinks_return_to_the_marker(real_site, static_server, page):
    base = static_server(real_site, "/sub/")
    page.set_viewport_size({"width": 1000, "height": 600})
    page.goto(base + "topics/talks/")
    marker_id = page.locator(MARKER).nth(4).get_attribute("id")
    backlink = page.locator(f'.references a[href="#{marker_id}"]')
    backlink.click()
    page.wait_for_function(f"() => location.hash === '#{marker_id}'")
    assert comes_into_view(page.locator(f"#{marker_id}"))


def test_a_facts_permalink_shows_on_focus_and_hover(real_site, static_server, page):
    base = static_server(real_site)
    page.goto(base + "topics/flights/")
    link = page.locator("article.fact a.permalink").first
    fact_id = link.evaluate("el => el.closest('article').id")
    assert link.get_attribute("href").endswith("#" + fact_id)
    assert link.evaluate("el => getComputedStyle(el).opacity") == "0"
    link.focus()
    page.wait_for_function("el => getComputedStyle(el).opacity === '1'", arg=link.element_handle())
    page.locator("body").click(position={"x": 1, "y": 1})
    page.locator(f"article#{fact_id}").hover()
    page.wait_for_function("el => getComputedStyle(el).opacity === '1'", arg=link.element_handle())


def test_cited_by_links_on_the_source_page_lead_to_the_fact(real_site, static_server, page):
    base = static_server(real_site)
    page.goto(base + "sources/air-links/")
    link = page.locator("sup.cited-by a[href*='#']").first
    fact_id = link.get_attribute("href").split("#", 1)[1]
    link.click()
    page.wait_for_function(f"() => location.hash === '#{fact_id}'")
    assert comes_into_view(page.locator(f"article#{fact_id}"))
