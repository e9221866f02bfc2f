"""Publish-ready output (issue 6) in headless Chromium: every page of both sites at 375 px (dark) and 1280 px
(light) with axe-core, no horizontal scroll, right-to-left, no request leaving localhost, no console error; the
webfont's joining and lam-alef by rendering; print, dark mode, skip link and focus."""
from __future__ import annotations

import re
import urllib.parse

import pytest

from conftest import copy_project
from helpers import in_pages
from sitegen import build
from sitegen.urls import base_path, page_url
from tools.checks import axe_source, html_files

pytestmark = pytest.mark.browser

FIXTURE_BASE = "https://example.org/demo/"           # tests/fixtures/basic/site.yaml
REAL_BASE = "https://example.org/embassy-talks/"     # site.yaml


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-fixture")
    report = build(in_pages(copy_project("basic", tmp / "project")), tmp / "_site")
    assert report.ok, "\n".join(map(str, report.errors))
    return tmp / "_site"


@pytest.fixture
def served(static_server, fixture_site, real_site):
    """which -> (site folder, URL it is served at): each under its base_url's path, where its 404 page works."""
    sites = {"fixture": (fixture_site, FIXTURE_BASE), "real": (real_site, REAL_BASE)}
    return lambda which: (sites[which][0], static_server(sites[which][0], base_path(sites[which][1])))


def page_urls(site, base: str) -> list[str]:
    return [base + page_url(p.relative_to(site).as_posix()) for p in html_files(site)]


LAYOUT = """() => {
  const root = document.documentElement;
  const bg = getComputedStyle(document.body).backgroundColor.match(/[\\d.]+/g).slice(0, 3).map(Number);
  return {
    overflow: Math.max(root.scrollWidth, document.body.scrollWidth) - root.clientWidth,
    dir: root.getAttribute('dir'), direction: getComputedStyle(document.body).direction, lang: root.lang,
    luminance: (0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2]) / 255,
    fonts: [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replace(/"/g, '') + ' ' + f.weight),
    unused_preloads: [...document.querySelectorAll('link[rel=preload][as=font]')]
      .filter(link => link.crossOrigin === null || !loadedFaceSources().includes(link.href)).map(link => link.href),
  };
  function face(family, weight) { return family.replace(/["']/g, '') + ' ' + weight; }
  function loadedFaceSources() {   // the URL each loaded @font-face was fetched from
    const loaded = new Set([...document.fonts].filter(f => f.status === 'loaded').map(f => face(f.family, f.weight)));
    return [...document.styleSheets].flatMap(sheet => [...sheet.cssRules]
      .filter(rule => rule instanceof CSSFontFaceRule
              && loaded.has(face(rule.style.getPropertyValue('font-family'), rule.style.getPropertyValue('font-weight'))))
      .map(rule => new URL(rule.style.getPropertyValue('src').match(/url\\("?([^")]+)/)[1], sheet.href).href));
  }
}"""

# Wait for what the checks read, not for a number of milliseconds: the page laid out (which is when the fonts its
# text needs are requested), every font request finished and every preload fetched to its end. A navigation
# while a font is still on its way aborts it (net::ERR_ABORTED).
SETTLE = """() => {
  document.body.getBoundingClientRect();
  const fetched = href => performance.getEntriesByName(href).some(entry => entry.responseEnd > 0);
  return document.fonts.status === 'loaded'
    && [...document.querySelectorAll('link[rel=preload]')].every(link => fetched(link.href));
}"""
# Chromium warns when a preload is not used "within a few seconds from the window's load event": a timer, which a
# busy machine can outrun. What it guards against (a preload no @font-face uses) is checked above, without one.
PRELOAD_TIMER = re.compile(r"was preloaded using link preload but not used within a few seconds")


def settle(page) -> None:
    page.wait_for_function(SETTLE)
    page.evaluate("document.fonts.ready.then(() => true)")


@pytest.mark.parametrize("which", ["fixture", "real"])
@pytest.mark.parametrize("width,scheme", [(375, "dark"), (1280, "light")])
def test_every_page_passes_axe_fits_the_screen_and_stays_on_localhost(browser, served, which, width, scheme):
    site, base = served(which)
    host = urllib.parse.urlsplit(base).netloc
    # The published CSP forbids scripts; Playwright's init script is not subject to it, so axe is injected
    # without bypass_csp and any CSP violation of the page itself still shows as a console error.
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    context.add_init_script(axe_source())
    page = context.new_page()
    requests, console, failures = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: failures.append(f"{r.url}: {r.status}") if r.status >= 400 else None)
    problems = []
    try:
        for url in page_urls(site, base):
            console.clear()
            page.goto(url, wait_until="load")
            settle(page)
            got = page.evaluate(LAYOUT)
            where = url[len(base):] or "index"
            if got["overflow"] > 0:
                problems.append(f"{where}: scrolls sideways by {got['overflow']} px at {width} px")
            if (got["dir"], got["direction"], got["lang"]) != ("rtl", "rtl", "ar"):
                problems.append(f"{where}: dir/direction/lang {got['dir']}/{got['direction']}/{got['lang']}")
            if (got["luminance"] > 0.5) != (scheme == "light"):
                problems.append(f"{where}: background luminance {got['luminance']:.2f} in {scheme} mode")
            if "Noto Naskh Arabic 400" not in got["fonts"]:
                problems.append(f"{where}: the Arabic webfont did not load ({got['fonts']})")
            for href in got["unused_preloads"]:
                problems.append(f"{where}: preloaded {href} is not the src of a loaded @font-face with crossorigin")
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            for v in result["violations"]:
                nodes = "; ".join(n["html"][:120] for n in v["nodes"][:3])
                problems.append(f"{where}: axe {v['id']} ({v['impact']}): {v['help']}: {nodes}")
            problems += [f"{where}: console {line}" for line in console if not PRELOAD_TIMER.search(line)]
            page.wait_for_load_state("networkidle")     # nothing (the favicon, say) still loading when we leave
    finally:
        context.close()
    problems += [f"request failed: {f}" for f in failures if not f.startswith(base + "404")]
    problems += [f"request left localhost: {u}" for u in requests if urllib.parse.urlsplit(u).netloc != host]
    assert len(requests) >= len(page_urls(site, base)) * 3      # pages, stylesheet, font, icon were recorded
    assert not problems, "\n".join(problems)


def test_webfont_joins_letters_and_forms_lam_alef_after_subsetting(browser, served):
    """Rendered with the subsetted Noto Naskh Arabic: joined forms differ from letters kept apart by ZWNJ, and
    lam + alef becomes the narrower lam-alef ligature, in both weights; the fallback font renders differently."""
    site, base = served("fixture")
    page = browser.new_page()
    try:
        page.goto(base)
        got = page.evaluate("""async () => {
          const out = {};
          for (const weight of [400, 700]) {
            const font = `${weight} 48px "Noto Naskh Arabic"`;
            await document.fonts.load(font, 'لا');
            const c = document.createElement('canvas').getContext('2d');
            const w = (f, text) => { c.font = f; return c.measureText(text).width; };
            out[weight] = {
              loaded: document.fonts.check(font, 'لا'),
              lamAlef: w(font, 'لا'), lamApartAlef: w(font, 'ل\\u200cا'),
              joined: w(font, 'سلام'), apart: w(font, 'س\\u200cل\\u200cا\\u200cم'),
              fallback: w(`${weight} 48px monospace`, 'سلام'),
            };
          }
          return out;
        }""")
    finally:
        page.close()
    for weight, m in got.items():
        assert m["loaded"], weight
        assert m["lamAlef"] < m["lamApartAlef"] - 2, (weight, m)
        assert m["joined"] < m["apart"] - 2, (weight, m)
        assert abs(m["joined"] - m["fallback"]) > 1, (weight, m)


def test_print_shows_each_citation_with_its_source_and_address_in_black_on_white(browser, served):
    site, base = served("fixture")
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(base + "topics/flights/")
        page.emulate_media(media="print")
        got = page.evaluate("""() => {
          const shown = el => el && getComputedStyle(el).display !== 'none';
          const ref = document.querySelector('.references li');
          return {
            nav: shown(document.querySelector('.site-nav')),
            refs: shown(ref), cite: ref.querySelector('cite').innerText, quote: ref.querySelector('q').innerText,
            url: shown(ref.querySelector('.print-url')) ? ref.querySelector('.print-url').innerText : null,
            body: [getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor],
          };
        }""")
        pdf = page.pdf(format="A4")
    finally:
        context.close()
    assert not got["nav"] and got["refs"] and got["cite"] and got["quote"]
    assert got["url"] and got["url"].startswith(FIXTURE_BASE + "sources/") and "#q-" in got["url"], got
    assert got["body"] == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"], got
    assert pdf.startswith(b"%PDF")


def test_skip_link_comes_first_shows_on_focus_and_every_focus_is_visible(browser, served):
    site, base = served("fixture")
    page = browser.new_page(viewport={"width": 375, "height": 700})
    focus = """() => {
      const el = document.activeElement, s = getComputedStyle(el), box = el.getBoundingClientRect();
      return {cls: el.className, id: el.id, tag: el.tagName, outline: s.outlineStyle + ' ' + parseFloat(s.outlineWidth),
              visible: box.bottom > 0 && box.top < innerHeight && box.width > 0};
    }"""
    try:
        page.goto(base + "topics/flights/")
        page.keyboard.press("Tab")
        first = page.evaluate(focus)
        assert first["cls"] == "skip-link" and first["visible"], first
        page.keyboard.press("Enter")
        assert page.evaluate(focus)["id"] == "main"
        page.goto(base + "topics/flights/")
        for _ in range(12):
            page.keyboard.press("Tab")
            now = page.evaluate(focus)
            style, width = now["outline"].split()
            assert style != "none" and float(width) >= 2 and now["visible"], now
    finally:
        page.close()


def test_the_pager_of_a_long_topic_reads_right_to_left_and_fits_a_phone(browser, static_server, tmp_path):
    """On a phone, the links between a topic's pages stay on screen: the previous page at the start of the line
    (the right, in Arabic) and the next at its end, on one line, the numbers on one line below; each link big
    enough to touch (WCAG 2.5.8: 24 px), the current page set apart."""
    root = copy_project("basic", tmp_path / "project")
    (root / "site.yaml").write_text((root / "site.yaml").read_text(encoding="utf-8") + "facts_per_page: 1\n",
                                    encoding="utf-8")
    with open(root / "content/topics/flights.yaml", "a", encoding="utf-8") as f:    # 14 pages
        f.write("".join(f'  - id: extra-{n}\n    text: "واقعة إضافية رقم {n}."\n    citations:\n      - source: two\n'
                        f'        quote: "وكانت الرحلات الجوية قد علقت عام 2022 بعد بدء الحرب"\n' for n in range(12)))
    assert build(root, tmp_path / "_site").ok
    base = static_server(tmp_path / "_site", base_path(FIXTURE_BASE))
    page = browser.new_page(viewport={"width": 375, "height": 700})
    try:
        page.goto(base + "topics/flights/7/")
        got = page.evaluate("""() => {
          const nav = document.querySelector('nav.pager');
          const box = el => el.getBoundingClientRect();
          const links = [...nav.querySelectorAll('a')].filter(a => box(a).width > 0);
          const items = [...nav.querySelectorAll('li')].filter(li => box(li).width > 0);
          const style = el => getComputedStyle(el).backgroundColor;
          return {
            prev: box(nav.querySelector('[rel=prev]')), next: box(nav.querySelector('[rel=next]')),
            numbers: items.map(li => li.innerText), lines: new Set(items.map(li => Math.round(box(li).top))).size,
            inside: links.every(a => box(a).left >= 0 && box(a).right <= innerWidth),
            smallest: Math.min(...links.map(a => Math.min(box(a).width, box(a).height))),
            current: style(nav.querySelector('[aria-current=page]')), other: style(nav.querySelector('ol a:not([aria-current])')),
            label: nav.getAttribute('aria-label'),
          };
        }""")
    finally:
        page.close()
    assert got["prev"]["left"] > got["next"]["left"] and got["prev"]["top"] == got["next"]["top"], got
    assert got["numbers"] == ["١", "…", "٦", "٧", "٨", "…", "١٤"] and got["lines"] == 1 and got["inside"], got
    assert got["smallest"] >= 24 and got["current"] != got["other"] and got["label"], got
