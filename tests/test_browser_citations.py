"""In real headless Chromium: a marker leads to its reference, the reference to the highlighted passage on the
source page, and a backlink back to the marker."""
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


def test_marker_reference_passage_and_backlink(real_site, static_server, page):
    base = static_server(real_site, "/sub/")
    page.set_viewport_size({"width": 1000, "height": 600})
    page.goto(base + "topics/talks/")

    # the 5th marker on the page, so the reference list is far below
    marker = page.locator("sup.marker a").nth(4)
    marker_id = marker.get_attribute("id")
    ref_id = marker.get_attribute("href").lstrip("#")
    marker.click()
    page.wait_for_function(f"location.hash === '#{ref_id}'")
    reference = page.locator(f"li#{ref_id}")
    assert comes_into_view(reference)
    assert page.evaluate("window.scrollY") > 1000

    # the backlink for this marker returns to it
    backlink = reference.locator(f'a[href="#{marker_id}"]')
    backlink.click()
    page.wait_for_function(f"location.hash === '#{marker_id}'")
    assert comes_into_view(page.locator(f"#{marker_id}"))

    # the reference's passage link opens the source page on the highlighted passage
    page.goto(base + f"topics/talks/#{ref_id}")
    link = reference.locator("a.passage-link").first
    href = link.get_attribute("href")
    anchor = href.split("#", 1)[1]
    link.click()
    page.wait_for_url(f"**/sources/**#{anchor}")
    mark = page.locator(f"mark#{anchor}")
    assert comes_into_view(mark)
    plain = page.locator("mark:not(:target)").first.evaluate("el => getComputedStyle(el).backgroundColor")
    target = mark.evaluate("el => getComputedStyle(el).backgroundColor")
    assert target != plain  # the passage the reader came for stands out from the other quotes
    assert mark.inner_text().strip()


def test_cited_by_links_on_the_source_page_lead_to_the_fact(real_site, static_server, page):
    base = static_server(real_site)
    page.goto(base + "sources/air-links/")
    link = page.locator("sup.cited-by a[href*='#']").first
    fact_id = link.get_attribute("href").split("#", 1)[1]
    link.click()
    page.wait_for_function(f"location.hash === '#{fact_id}'")
    assert comes_into_view(page.locator(f"article#{fact_id}"))
