"""The answer on a phone and a desktop (issue 17), real site in headless Chromium at 375 and 1280 px, light and
dark: the home page, a meeting page and the issues page pass axe with no violation and never scroll sideways; at
375 px the header is one line with a disclosure menu that opens without script and the answer starts on the first
screen. (The Nu checker runs over these pages with every other page, in test_publish.py.)"""
from __future__ import annotations

import pytest

from tools.checks import axe_source

pytestmark = pytest.mark.browser

PAGES = ["", "entities/istanbul-round-1/", "issues/"]
HEADER = """() => {
  const box = el => el.getBoundingClientRect();
  const shown = el => el && getComputedStyle(el).display !== 'none' && box(el).height > 0;
  const row = [document.querySelector('.site-title'), document.querySelector('.search-link'),
               document.querySelector('.site-menu summary')].filter(shown);
  const answer = document.querySelector('.answer h2, .answer h3');
  return {
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    row: row.length, tops: row.map(el => Math.round(box(el).top)), heights: row.map(el => box(el).height),
    header: box(document.querySelector('.site-header')).height, nav: shown(document.querySelector('.site-nav')),
    menu: shown(document.querySelector('.site-menu')), answer: answer ? box(answer).bottom : null,
    screen: innerHeight,
  };
}"""


@pytest.fixture
def real(static_server, real_site):
    return static_server(real_site)


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_answer_pages_pass_axe_and_fit_the_screen(browser, real, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 740}, color_scheme=scheme)
    context.add_init_script(axe_source())
    page = context.new_page()
    problems = []
    try:
        for path in PAGES:
            page.goto(real + path, wait_until="load")
            page.evaluate("document.fonts.ready.then(() => true)")
            got = page.evaluate(HEADER)
            if got["overflow"] > 0:
                problems.append(f"{path}: scrolls sideways by {got['overflow']} px")
            if width == 375:
                one_line = got["row"] == 3 and max(got["tops"]) - min(got["tops"]) < max(got["heights"])
                if not (one_line and got["menu"] and not got["nav"] and got["header"] < 70):
                    problems.append(f"{path}: the header is not one line with a menu at 375 px: {got}")
            elif got["menu"] or not got["nav"]:
                problems.append(f"{path}: at 1280 px the sections should show in a row: {got}")
            if path == "" and not (got["answer"] and got["answer"] < got["screen"]):
                problems.append(f"the answer does not start on the first screen: {got}")
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            problems += [f"{path}: axe {v['id']}: {v['help']}: {v['nodes'][0]['html'][:120]}"
                         for v in result["violations"]]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_menu_opens_without_script_and_leads_to_every_section(browser, real):
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(real)
        links = page.locator(".menu-nav a")
        assert not links.first.is_visible()
        page.locator(".site-menu summary").click()
        page.locator(".site-menu[open]").wait_for()
        assert links.count() == page.locator(".site-nav a").count() >= 9
        assert all(links.nth(i).is_visible() for i in range(links.count()))
        page.locator(".menu-nav a", has_text="بين الجولات").click()
        page.wait_for_url(real + "issues/")
        assert page.locator("h1").inner_text() == "بين الجولات"
    finally:
        context.close()
