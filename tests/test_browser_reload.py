"""In real headless Chromium, against `build.py serve`: an open page reloads by itself, once, after a save; a broken
build replaces it with the error page, styled and right-to-left; the fix brings the site back by itself."""
import pytest

from helpers import line_of, replace_in
from tools.checks import playwright_api
from test_serve import ERROR_TITLE, FACT, FLIGHTS, serve_process, wait_until  # noqa: F401

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000
CONNECTED = "() => window.LiveReload && window.LiveReload.connector.protocol > 0"  # its handshake done


def expect(locator):
    return playwright_api().expect(locator)


def open_live(page, url: str) -> list[str]:
    """Open url and wait until livereload's client has finished its handshake; returns the list of page loads."""
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.goto(url)
    page.wait_for_function(CONNECTED, timeout=TIMEOUT_MS)
    loads.clear()
    return loads


def test_open_page_reloads_itself_once_after_a_save(project, serve_process, page):
    site = project()
    server = serve_process(site)
    loads = open_live(page, server.url + "topics/flights/")
    expect(page.locator("main")).to_contain_text(FACT)

    replace_in(site / FLIGHTS, FACT, "نص ظهر في الصفحة وحده.")
    expect(page.locator("main")).to_contain_text("نص ظهر في الصفحة وحده.", timeout=TIMEOUT_MS)  # no reload() here
    # A save elsewhere: once its rebuild is logged and the page has reloaded for it, whatever the first save
    # caused is over; instead of waiting some milliseconds for a second reload that may or may not come.
    page.wait_for_function(CONNECTED, timeout=TIMEOUT_MS)
    with page.expect_event("load", timeout=TIMEOUT_MS):
        replace_in(site / "content/pages/about.md", "تجريبي", "تجريبي حقًا")
    wait_until(lambda: any(line.startswith("content/pages/about.md") for line in server.rebuilds()), 30,
               "the second save's rebuild to be logged")
    assert [line.split(":")[0] for line in server.rebuilds()] == [FLIGHTS, "content/pages/about.md"]
    assert loads == [server.url + "topics/flights/"] * 2


def test_broken_build_shows_errors_then_the_fix_brings_the_page_back(project, serve_process, page):
    site = project()
    server = serve_process(site)
    refused = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    open_live(page, server.url + "topics/flights/")

    replace_in(site / FLIGHTS, "    text: \"اقترحت", "    txet: \"اقترحت")
    expect(page.locator("h1")).to_have_text(ERROR_TITLE, timeout=TIMEOUT_MS)
    items = page.locator("li").all_inner_texts()
    assert f"{FLIGHTS}:{line_of(site / FLIGHTS, 'txet:')}: unknown key 'txet' in a fact (did you mean 'text'?)" in items
    direction, colour = page.evaluate("""() => [getComputedStyle(document.documentElement).direction,
                                                getComputedStyle(document.querySelector('h1')).color]""")
    assert (direction, colour) == ("rtl", "rgb(155, 28, 28)")  # its inline style was allowed to apply

    page.wait_for_function(CONNECTED, timeout=TIMEOUT_MS)
    replace_in(site / FLIGHTS, "    txet: \"اقترحت", "    text: \"اقترحت")
    expect(page.locator("main")).to_contain_text(FACT, timeout=TIMEOUT_MS)
    assert not [text for text in refused if "Content Security Policy" in text or "Refused" in text], refused
