"""In real headless Chromium, against `build.py serve`: an open page reloads by itself, once, after a save, and keeps
the editor's place on it; a broken build puts its errors over the last good page (or, with no good build yet, shows
the error page), styled and right-to-left under the preview's policy; the fix takes them away by itself."""
import pytest

from helpers import line_of, replace_in
from tools.checks import playwright_api
from test_serve import (ERROR_TITLE, FACT, FLIGHTS, copy_real_project, fetch, first_fact_edited,  # noqa: F401
                        serve_process, wait_until)

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


# where an element is, from the top of the window, once the webfont is in (it moves the lines)
TOP = """id => document.fonts.status === 'loaded' && document.getElementById(id).getBoundingClientRect().top"""


def test_a_reload_keeps_the_fact_at_the_top_of_the_window_where_it_was(tmp_path, serve_process, browser):
    """The site's facts are laid out only where they are read (content-visibility), so after a reload every fact
    above the window has an estimated height and a restored scroll offset would show another one: the preview puts
    back the element the editor was reading, at the same distance from the top, though the save lengthened a fact
    above it."""
    site = copy_real_project(tmp_path / "site")
    server = serve_process(site)
    page = browser.new_context(viewport={"width": 375, "height": 700}).new_page()
    open_live(page, server.url + "topics/flights/")
    facts = page.locator("article.fact")
    reading = facts.nth(facts.count() - 2).get_attribute("id")
    page.evaluate("id => { document.getElementById(id).scrollIntoView(); scrollBy(0, 30); }", reading)
    page.wait_for_function(f"() => ({TOP})({reading!r}) < 0")
    top = page.evaluate(TOP, reading)

    topic = site / FLIGHTS
    with page.expect_event("load", timeout=TIMEOUT_MS):
        topic.write_text(first_fact_edited(topic.read_text(encoding="utf-8"), "كلمات أضيفت في أول الصفحة " * 20),
                         encoding="utf-8")
    expect(page.locator("main")).to_contain_text("كلمات أضيفت في أول الصفحة")
    page.wait_for_function(f"() => Math.abs(({TOP})({reading!r}) - {top}) < 1", timeout=TIMEOUT_MS)
    page.context.close()


def test_a_broken_build_puts_its_errors_over_the_last_good_page_until_the_fix(project, serve_process, page):
    site = project()
    server = serve_process(site)
    refused = console_errors(page)
    open_live(page, server.url + "topics/flights/")

    replace_in(site / FLIGHTS, "    text: \"اقترحت", "    txet: \"اقترحت")
    errors = page.locator("#sitegen-build-errors li")     # inside the overlay's shadow root
    expect(errors.first).to_be_visible(timeout=TIMEOUT_MS)
    assert (f"{FLIGHTS}:{line_of(site / FLIGHTS, 'txet:')}: unknown key 'txet' in a fact (did you mean 'text'?)"
            in errors.all_inner_texts())
    expect(page.locator("main")).to_contain_text(FACT)     # the last good page, under the errors
    summary = page.locator("#sitegen-build-errors summary")
    assert summary.evaluate("s => getComputedStyle(s).color") == "rgb(155, 28, 28)"     # its stylesheet applied
    summary.click()                                         # folded away, the page beneath can be read
    expect(errors.first).to_be_hidden()

    page.wait_for_function(CONNECTED, timeout=TIMEOUT_MS)
    replace_in(site / FLIGHTS, "    txet: \"اقترحت روسيا استئناف", "    text: \"اقترحت روسيا بعد الإصلاح استئناف")
    expect(page.locator("main")).to_contain_text("اقترحت روسيا بعد الإصلاح", timeout=TIMEOUT_MS)
    expect(page.locator("#sitegen-build-errors")).to_have_count(0)
    assert not refused, refused


def test_a_first_build_that_fails_shows_the_error_page_until_the_fix(project, serve_process, page):
    site = project()
    replace_in(site / FLIGHTS, "    text: \"اقترحت", "    txet: \"اقترحت")
    server = serve_process(site)
    refused = console_errors(page)
    open_live(page, server.url + "topics/flights/")
    expect(page.locator("h1")).to_have_text(ERROR_TITLE)
    items = page.locator("li").all_inner_texts()
    assert f"{FLIGHTS}:{line_of(site / FLIGHTS, 'txet:')}: unknown key 'txet' in a fact (did you mean 'text'?)" in items
    direction, colour = page.evaluate("""() => [getComputedStyle(document.documentElement).direction,
                                                getComputedStyle(document.querySelector('h1')).color]""")
    assert (direction, colour) == ("rtl", "rgb(155, 28, 28)")  # its stylesheet, from the preview, applied

    replace_in(site / FLIGHTS, "    txet: \"اقترحت", "    text: \"اقترحت")
    expect(page.locator("main")).to_contain_text(FACT, timeout=TIMEOUT_MS)
    assert not refused, refused


def console_errors(page) -> list[str]:
    """What the page's console reports as refused: a script, style or connection the page's policy blocked."""
    found = []
    page.on("console", lambda message: found.append(message.text) if message.type == "error" and (
        "Content Security Policy" in message.text or "Refused" in message.text) else None)
    return found


SHOWN = """(q) => document.getElementById('search-results').dataset.query === q"""


def test_the_preview_search_page_finds_what_was_just_saved(project, serve_process, page):
    """The preview's search index, served beside the site, works in the browser and follows the saves."""
    site = project()
    server = serve_process(site)
    refused = console_errors(page)
    entry = wait_until(lambda: (r := fetch(server.url + "pagefind/pagefind-entry.json"))[0] == 200 and r[1],
                       what="the first search index")

    def search(query: str) -> list[str]:
        page.goto(server.url + "search/")
        page.fill("#search-query", query)
        page.wait_for_function(SHOWN, arg=query, timeout=TIMEOUT_MS)
        return page.eval_on_selector_all(".result-text a", "as => as.map(a => a.href)")

    assert any("topics/flights/" in href for href in search("استئناف"))
    replace_in(site / FLIGHTS, FACT, "اقترحت روسيا فتح خطوط جديدة.")
    wait_until(lambda: fetch(server.url + "pagefind/pagefind-entry.json")[1] not in ("", entry),
               what="the index of the edited site")
    assert any("topics/flights/" in href for href in search("خطوط"))
    assert refused == []


def test_a_build_that_ends_before_the_page_listens_still_reloads_it(project, serve_process, page):
    """A save whose build ends after the page was served, but before livereload's connection was listening: the
    page says which build it shows when it connects, and is reloaded to the new one."""
    site = project()
    server = serve_process(site)
    held = []

    def hold_the_first(route):  # the page waits for its client, not listening yet; its reload does not
        if held:
            route.continue_()
        else:
            held.append(route)
    page.route("**/livereload.js*", hold_the_first)
    page.goto(server.url + "topics/flights/", wait_until="commit")

    def asked() -> list:    # a call into the page lets Playwright hand the held request to hold_the_first
        page.evaluate("1")
        return held
    wait_until(asked, TIMEOUT_MS / 1000, "the page to ask for livereload.js")

    replace_in(site / FLIGHTS, FACT, "نص ظهر في الصفحة وحده.")
    wait_until(lambda: server.rebuilds(), 30, "the save's rebuild to be logged")
    held[0].continue_()
    expect(page.locator("main")).to_contain_text("نص ظهر في الصفحة وحده.", timeout=TIMEOUT_MS)


def test_a_fact_pushed_onto_the_next_page_is_followed_there(project, serve_process, browser):
    """On a topic in pages, a fact added above the one the editor reads moves it onto the next page: the reloaded
    page gives way to that one (in place of it in the history), with the fact in the window."""
    from test_paging import EXTRA, paged, topic_fact_ids

    site = paged(project, 2, extra=4)       # two facts a page
    reading = topic_fact_ids(site, "flights")[3]     # the second of page 2
    server = serve_process(site)
    page = browser.new_context(viewport={"width": 375, "height": 500}).new_page()
    open_live(page, server.url + "topics/flights/2/")
    page.evaluate("id => { document.getElementById(id).scrollIntoView(); scrollBy(0, 30); }", reading)
    page.wait_for_function(f"() => ({TOP})({reading!r}) < 0")
    top = page.evaluate(TOP, reading)
    history = page.evaluate("history.length")

    topic = site / FLIGHTS
    text = topic.read_text(encoding="utf-8")
    first = text.index("\nfacts:\n") + len("\nfacts:\n")
    topic.write_text(text[:first] + EXTRA.format(n=0) + text[first:], encoding="utf-8")
    page.wait_for_url(server.url + "topics/flights/3/", timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => Math.abs(({TOP})({reading!r}) - {top}) < 1", timeout=TIMEOUT_MS)
    assert page.evaluate("history.length") == history
    page.context.close()
