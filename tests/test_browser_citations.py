"""In real headless Chromium: a marker opens its quote in a popover (by click and keyboard, focus back to it), the
popover leads to the highlighted passage on the source page, outlined; backlinks return to the marker."""
import pytest

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


OPEN = "el => el.matches(':popover-open')"
FOCUSED = "() => document.activeElement && document.activeElement.id"


def test_a_marker_opens_its_quote_beside_the_sentence_by_click_and_closes_back_to_it(real_site, static_server, page):
    base = static_server(real_site, "/sub/")
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(base + "topics/talks/")
    marker = page.locator("sup.marker button").nth(4)
    note = page.locator("#" + marker.get_attribute("popovertarget"))
    assert not note.is_visible()
    marker.click()
    page.wait_for_function(OPEN, arg=note.element_handle())
    assert comes_into_view(note)
    # the quoted words, the article's name and date, and the way to the passage
    assert note.locator("q").inner_text().strip() and note.locator("cite").inner_text().strip()
    assert note.locator("time").get_attribute("datetime")
    assert "#q-" in note.locator("a.passage-link").get_attribute("href")
    box = note.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375     # on a phone it fits the screen
    page.keyboard.press("Escape")
    page.wait_for_function("el => !el.matches(':popover-open')", arg=note.element_handle())
    assert page.evaluate(FOCUSED) == marker.get_attribute("id")


def test_a_marker_opens_by_keyboard_and_focus_returns_to_it(real_site, static_server, page):
    base = static_server(real_site)
    page.goto(base + "topics/flights/")
    marker = page.locator("sup.marker button").first
    note = page.locator("#" + marker.get_attribute("popovertarget"))
    marker.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(OPEN, arg=note.element_handle())
    assert marker.evaluate("el => el.popoverTargetElement.id") == note.get_attribute("id")
    # the popover follows its marker in the tab order: its article link, then the passage link
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('[popover]') !== null")
    page.keyboard.press("Escape")
    page.wait_for_function("el => !el.matches(':popover-open')", arg=note.element_handle())
    page.wait_for_function(f"() => document.activeElement.id === {marker.get_attribute('id')!r}")
    # Enter again reopens it; its passage link leads to the passage, scrolled into view and outlined
    page.keyboard.press("Enter")
    page.wait_for_function(OPEN, arg=note.element_handle())
    anchor = note.locator("a.passage-link").get_attribute("href").split("#", 1)[1]
    note.locator("a.passage-link").click()
    page.wait_for_url(f"**/sources/**#{anchor}")
    mark = page.locator(f"mark#{anchor}")
    assert comes_into_view(mark)
    assert mark.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    plain = page.locator("mark:not(:target)").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert mark.evaluate("el => getComputedStyle(el).backgroundColor") != plain


def test_reference_list_backlinks_return_to_the_marker(real_site, static_server, page):
    base = static_server(real_site, "/sub/")
    page.set_viewport_size({"width": 1000, "height": 600})
    page.goto(base + "topics/talks/")
    marker_id = page.locator("sup.marker button").nth(4).get_attribute("id")
    backlink = page.locator(f'.references a[href="#{marker_id}"]')
    backlink.click()
    page.wait_for_function(f"location.hash === '#{marker_id}'")
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
    page.wait_for_function(f"location.hash === '#{fact_id}'")
    assert comes_into_view(page.locator(f"article#{fact_id}"))
