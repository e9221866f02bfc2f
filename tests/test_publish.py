"""Publish-ready output (issue 6), checked without a browser: the Nu Html Checker on every page, a crawl of the
site served under a URL prefix, sitemap/robots/canonical/Open Graph, no third-party requests, a strict CSP,
logical CSS, the Arabic webfont, one choice of digits, isolated Latin runs, page weight and the Pages workflow."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

import sitegen.search
from conftest import ROOT, copy_project
from helpers import in_pages, tree
from sitegen import build
from sitegen.load import load
from sitegen.render import content_security_policy
from sitegen.urls import page_url
from sitegen.text import Formatter
from tools.checks import crawl, html_files, is_resource, read_page, vnu_errors

LATIN_DIGIT = re.compile(r"[0-9]")
ARABIC_DIGIT = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def build_project(project_dir: Path, out: Path, base_url: str | None = None) -> Path:
    report = build(project_dir, out, base_url)
    assert report.ok, "\n".join(map(str, report.errors))
    return out


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    """tests/fixtures/basic (digits: arab) built with the real templates and static files, its topics and timeline
    two facts a page: every check here covers a list split into pages too."""
    tmp = tmp_path_factory.mktemp("fixture")
    return build_project(in_pages(copy_project("basic", tmp / "project")), tmp / "_site")



@pytest.fixture(params=["fixture", "real"])
def any_site(request) -> Path:
    return request.getfixturevalue("fixture_site" if request.param == "fixture" else "real_site")


def pages_of(site: Path) -> dict[str, object]:
    return {p.relative_to(site).as_posix(): read_page(p.read_text(encoding="utf-8")) for p in html_files(site)}


# --- The Nu Html Checker -------------------------------------------------------------------------------------

def test_nu_html_checker_reports_no_error_on_any_page(fixture_site, real_site):
    """One run of vnu over every page (and the stylesheet) of both sites: zero errors."""
    files = [p for site in (fixture_site, real_site) for p in html_files(site) + sorted(site.rglob("*.css"))]
    errors = vnu_errors(files)
    assert not errors, "\n".join(errors)
    assert len(files) > 20


# --- Deployable under any prefix -----------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["fixture", "real"])
def test_crawl_under_a_prefix_finds_no_broken_link_or_anchor(which, static_server, tmp_path):
    """Served under /sub/ with base_url pointing there: every link, asset, #anchor, canonical link, sitemap entry and
    the 404 page (reached from a deep missing path) resolve; nothing loads from another host; every page is reached."""
    project = copy_project("basic", tmp_path / "project") if which == "fixture" else ROOT
    out = tmp_path / "_site"
    base = static_server(out, "/sub/")
    build_project(project, out, base)
    result = crawl(base, missing="no/such/page/")
    assert not result.problems, "\n".join(result.problems)
    reached = {url[len(base):] for url in result.pages}
    unreached = {page_url(p.relative_to(out).as_posix()) for p in html_files(out)} - reached - {"404.html"}
    assert not unreached, f"pages no link reaches: {sorted(unreached)}"
    for url, page in result.pages.items():
        if not url.endswith("no/such/page/"):
            assert page.link("canonical") == [url], url
    missing_page = result.pages[base + "no/such/page/"]
    assert missing_page.meta.get("robots") == "noindex"
    assert result.status[base + "no/such/page/"] == 404


def test_base_url_from_the_command_line_drives_sitemap_robots_canonical_and_404(project, tmp_path):
    root = project()
    out = tmp_path / "out"
    base = "https://pages.example.net/explainer/"
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(root), "build", "--out", str(out),
                           "--base-url", base.rstrip("/")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    sitemap = ET.fromstring((out / "sitemap.xml").read_bytes())
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    pages = pages_of(out)
    expected = {base + page_url(p) for p in pages} - {base + "404.html", base + "search/"}
    assert sorted(locs) == sorted(expected)
    assert (out / "robots.txt").read_text().splitlines()[-1] == f"Sitemap: {base}sitemap.xml"
    for path, page in pages.items():
        url = base + page_url(path)
        if path == "404.html":
            assert page.meta["robots"] == "noindex" and not page.link("canonical")
            # Served at any depth, so everything it loads or links starts from the base URL's path.
            assert all(v.startswith(("/explainer/", "#")) for t, a, v, attrs in page.links), page.links
            continue
        assert page.link("canonical") == [url], path
        assert page.meta["og:url"] == url, path
        assert page.meta["og:title"] and page.meta["og:description"] and page.meta["description"], path
        assert page.meta["og:site_name"] and page.meta["og:locale"] == "ar_AR", path
        assert len(page.link("icon")) == 1, path


# --- Assets: nothing from elsewhere, a strict Content-Security-Policy ---------------------------------------

def test_no_page_loads_anything_from_another_host_and_no_inline_code(any_site):
    for path, page in pages_of(any_site).items():
        for tag, attr, value, attrs in page.links:
            if is_resource(tag, attrs):
                assert not re.match(r"^([a-z][a-z0-9+.-]*:|//)", value, re.I), f"{path}: <{tag} {attr}={value}>"
        tags = {tag for tag, attrs in page.elements}
        if path == "search/index.html":   # its one script is the site's own file, which the CSP allows there alone
            scripts = [attrs for tag, attrs in page.elements if tag == "script"]
            assert [(a.get("type"), re.sub(r"\.[0-9a-f]{10}\.", ".HASH.", a.get("src", ""))) for a in scripts] == \
                [("module", "../static/search.HASH.js")], scripts
            tags.discard("script")
        assert not tags & {"script", "style", "iframe", "object", "embed"}, f"{path}: {tags & {'script', 'style'}}"
        inline = [(tag, a) for tag, attrs in page.elements for a in attrs if a == "style" or a.startswith("on")]
        assert not inline, f"{path}: inline style or handler {inline[:3]} (the CSP blocks them)"
    for css in (any_site / "static").rglob("*.css"):
        for value in re.findall(r"""url\(\s*['"]?([^'")]+)""", css.read_text()):
            assert not re.match(r"^([a-z][a-z0-9+.-]*:|//)", value, re.I), f"{css.name}: url({value})"


def test_published_pages_carry_a_csp_without_unsafe_inline_and_the_preview_relaxes_it(fixture_site):
    published = content_security_policy(preview=False)
    assert "unsafe-inline" not in published and "unsafe-eval" not in published
    assert "default-src 'none'" in published and "script-src 'none'" in published
    preview = content_security_policy(preview=True)     # the preview's own scripts, from itself, and its websocket
    assert "script-src 'self';" in preview and "connect-src 'self';" in preview and "unsafe" not in preview
    # the search page alone runs scripts: its own and Pagefind's (same origin) and Pagefind's WebAssembly
    search = content_security_policy(preview=False, search=True)
    assert "script-src 'self' 'wasm-unsafe-eval';" in search and "connect-src 'self';" in search
    assert "unsafe-inline" not in search and "unsafe-eval'" not in search.replace("wasm-unsafe-eval", "")
    for path, page in pages_of(fixture_site).items():
        policies = [attrs["content"] for tag, attrs in page.elements
                    if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
        assert policies == [search if path == "search/index.html" else published], path


def test_a_large_sites_search_index_in_parts_holds_every_record_once_and_is_byte_identical(tmp_path, monkeypatch):
    """A site of more records than a part holds (here 40, the real site's 148 records) gets one index per part,
    each also holding the record of every word; two builds give the same bytes (tests/test_browser_search.py
    searches them)."""
    monkeypatch.setattr(sitegen.search, "PART_RECORDS", 40)
    a, b = (build_project(ROOT, tmp_path / name) for name in "ab")
    assert tree(a) == tree(b)
    bundle = next(a.glob("pagefind/*/"))
    parts = ["", *json.loads((bundle / "parts.json").read_bytes())]
    assert len(parts) == 4 and all((bundle / part / "pagefind-entry.json").is_file() for part in parts)
    fragments = [f for part in parts for f in (bundle / part / "fragment").iterdir()]
    assert len(fragments) == len(sitegen.search.records(load(ROOT)[0])) + len(parts)
    assert not any((bundle / part / "pagefind.js").exists() for part in parts[1:])


def test_css_fingerprinted_and_fonts_shipped_with_their_licence(fixture_site):
    static = fixture_site / "static"
    assert [p.name for p in static.glob("style*.css")] and all(
        re.fullmatch(r"style\.[0-9a-f]{10}\.css", p.name) for p in static.glob("style*.css"))
    fonts = sorted(re.sub(r"\.[0-9a-f]{10}\.woff2$", ".woff2", p.name) for p in (static / "fonts").iterdir())
    assert fonts == ["OFL.txt", "noto-naskh-arabic-bold.woff2", "noto-naskh-arabic-regular.woff2"]
    assert "SIL Open Font License" in (static / "fonts" / "OFL.txt").read_text()


# --- Arabic typography --------------------------------------------------------------------------------------

PHYSICAL = re.compile(r"""(?x)(?<![\w-])(
      (margin|padding|border|inset|scroll-margin|scroll-padding)-(left|right|top|bottom)
    | border-(top|bottom)-(left|right)-radius
    | (left|right|top|bottom)
    | (min-|max-)?(width|height)
    )\s*:
    | (text-align|float|clear)\s*:\s*(left|right)""")


def test_stylesheets_use_logical_properties_only():
    for css in (ROOT / "static").rglob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", css.read_text(), flags=re.S)
        text = re.sub(r"@media[^{]*", "@media", text)   # (max-width: 30rem) in a media query is a condition
        found = [m.group(0) for m in PHYSICAL.finditer(text)]
        assert not found, f"{css.relative_to(ROOT)}: physical properties {found}"


def test_webfont_keeps_arabic_shaping_and_covers_every_arabic_character_the_sites_print(fixture_site, real_site):
    ttLib = pytest.importorskip("fontTools.ttLib", reason="fontTools (requirements-dev.txt) reads the webfonts")
    pytest.importorskip("brotli", reason="brotli (requirements-dev.txt) decompresses woff2")
    printed = {c for site in (fixture_site, real_site) for p in html_files(site)
               for c in p.read_text(encoding="utf-8") if "\u0600" <= c <= "\u06ff"}
    for name in ("regular", "bold"):
        font = ttLib.TTFont(ROOT / "static" / "fonts" / f"noto-naskh-arabic-{name}.woff2")
        gsub = {r.FeatureTag for r in font["GSUB"].table.FeatureList.FeatureRecord}
        gpos = {r.FeatureTag for r in font["GPOS"].table.FeatureList.FeatureRecord}
        assert {"init", "medi", "fina", "rlig", "liga", "ccmp"} <= gsub, (name, gsub)
        assert {"mark", "mkmk"} <= gpos, (name, gpos)
        cmap = font.getBestCmap()
        missing = sorted(f"U+{ord(c):04X}" for c in printed if ord(c) not in cmap)
        assert not missing, f"{name}: characters the sites print but the font lacks: {missing}"


QUOTED = {"q", "mark", "cite", "bdi"}                     # text as the sources print it, not the site's own
QUOTED_CLASSES = {"para", "by-source"}


def own_text(page) -> list[str]:
    """Text the site itself prints: everything but quotations, article text, spellings as sources give them,
    and Latin runs; plus the description and Open Graph text of the page."""
    out = [page.meta.get(k, "") for k in ("description", "og:title", "og:description", "og:site_name")]
    for ancestors, text in page.texts:
        if any(tag in QUOTED or set(attrs.get("class", "").split()) & QUOTED_CLASSES for tag, attrs in ancestors):
            continue
        if not (ancestors and ancestors[-1][0] == "title"):
            out.append(text)
    return out


def test_the_site_prints_its_own_numbers_in_the_digits_site_yaml_chooses(fixture_site, real_site):
    """fixture: digits arab, so no 0-9 in its own text; real site: digits latn, so no ٠-٩ anywhere it writes."""
    for site, wrong in ((fixture_site, LATIN_DIGIT), (real_site, ARABIC_DIGIT)):
        for path, page in pages_of(site).items():
            bad = [t.strip() for t in own_text(page) if wrong.search(t)]
            assert not bad, f"{site.name}/{path}: {bad[:3]}"
    assert yaml.safe_load((ROOT / "site.yaml").read_text())["digits"] == "latn"


def test_markdown_prose_isolates_latin_and_its_arabic_digits_spare_latin_runs_entities_and_escapes():
    html = str(Formatter("arab").markdown(r"طائرات A320 و 5 رحلات &amp; \* عام 2025"))
    assert html == '<p>طائرات <bdi dir="ltr">A320</bdi> و ٥ رحلات &amp; * عام ٢٠٢٥</p>', html


def test_dates_are_machine_readable_and_printed_in_arabic(fixture_site):
    page = pages_of(fixture_site)["sources/two/index.html"]
    times = [(attrs, text) for ancestors, text in page.texts for tag, attrs in ancestors[-1:] if tag == "time"]
    assert ({"datetime": "2025-02-27"}, "٢٧ فبراير ٢٠٢٥") in times


def test_latin_runs_in_arabic_text_are_isolated(any_site):
    """Latin letters sit in <bdi> (or an element with dir=ltr): in template fields (the bidi filter), Markdown prose
    (sitegen/text.py) and article text (sitegen/sourcetext.py). <title> cannot hold markup."""
    for path, page in pages_of(any_site).items():
        loose = [text.strip() for ancestors, text in page.texts
                 if LATIN_LETTER.search(text)
                 and not any(tag in ("bdi", "title") or attrs.get("dir") == "ltr" for tag, attrs in ancestors)]
        assert not loose, f"{path}: Latin text outside <bdi>: {loose[:3]}"


# --- Page weight, deploy workflow ---------------------------------------------------------------------------

def test_page_weight_script_reports_largest_and_median_within_budget(real_site):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "page_weight.py"), "--json", str(real_site)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    weight = json.loads(done.stdout)
    assert weight["pages"] == len(html_files(real_site))
    assert 0 < weight["median_bytes"] <= weight["largest_bytes"] <= 150_000, weight


def test_github_pages_workflow_builds_with_a_base_url_and_uploads_the_site():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert re.search(r"python build\.py build --base-url \S+", runs), runs
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert uploads and uploads[0]["with"]["path"] == "_site"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in steps)
