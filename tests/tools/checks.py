"""What the publish tests share: the pinned npm checkers (installed on first use), a reader for built pages, and a
crawler that follows every link of a served site."""
from __future__ import annotations

import fcntl
import html.parser
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent
NODE_MODULES = TOOLS / "node_modules"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


def in_ci() -> bool:
    """CI services set CI=true; CI=false or CI=0 is a developer saying it is not CI."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(ok, what: str) -> None:
    """Skip a test whose tool is missing on this machine; in CI a missing tool is a failure, never a skip."""
    if ok:
        return
    message = f"needs {what}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def playwright_api():
    """playwright.sync_api, required like any other tool."""
    try:
        import playwright.sync_api
    except ImportError:
        require(False, "Playwright for Python (requirements-dev.txt; make test installs it)")
    return playwright.sync_api


def node_modules() -> Path:
    """tests/tools/node_modules holding the versions pinned in tests/tools/package.json; `npm ci` on first use."""
    wanted = json.loads((TOOLS / "package.json").read_text())["devDependencies"]

    def installed(name: str) -> str | None:
        manifest = NODE_MODULES / name / "package.json"
        return json.loads(manifest.read_text()).get("version") if manifest.is_file() else None

    with open(TOOLS / ".install.lock", "w") as lock:     # two test runs in one tree install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if any(installed(name) != version for name, version in wanted.items()):
            npm = shutil.which("npm")
            require(npm, "npm (Node.js) to install the checkers pinned in tests/tools/package.json")
            # --ignore-scripts: vnu-jar's install script would download a Java runtime; we use the system's.
            done = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                                  cwd=TOOLS, capture_output=True, text=True, timeout=600)
            require(done.returncode == 0, f"`npm ci` in tests/tools to succeed:\n{done.stderr[-2000:]}")
    return NODE_MODULES


def vnu_command() -> list[str]:
    java = shutil.which("java")
    require(java, "java 17+ for the Nu Html Checker (apt-get install default-jre-headless)")
    return [java, "-Xss4m", "-jar", str(node_modules() / "vnu-jar" / "build" / "dist" / "vnu.jar")]


def vnu_errors(files: list[Path]) -> list[str]:
    """One run of the Nu Html Checker over these pages and stylesheets: each error as `path:line: message`, the
    path from the folder holding them all."""
    command = vnu_command() + ["--errors-only", "--also-check-css", "--format", "json", "--exit-zero-always",
                               *map(str, files)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    try:
        messages = json.loads(done.stderr)["messages"]
    except ValueError:
        pytest.fail(f"the Nu Html Checker did not answer in JSON:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    folder = os.path.commonpath([str(f.resolve().parent) for f in files]) + "/"
    return [f"{m.get('url', '').partition(folder)[2] or m.get('url', '')}:{m.get('lastLine', '?')}: {m['message']}"
            for m in messages if m.get("type") in ("error", "non-document-error")]


def axe_source() -> str:
    return (node_modules() / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@dataclass
class Page:
    """One HTML document as the tests need it: ids, links, meta tags, and every text run with its ancestors."""
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str, str, dict]] = field(default_factory=list)   # (tag, attribute, value, all attrs)
    meta: dict[str, str] = field(default_factory=dict)                      # name or property -> content
    root: dict = field(default_factory=dict)                                # attributes of <html>
    texts: list[tuple[tuple, str]] = field(default_factory=list)            # (((tag, attrs), ...), text)
    elements: list[tuple[str, dict]] = field(default_factory=list)

    def link(self, rel: str) -> list[str]:
        return [value for tag, attr, value, attrs in self.links
                if tag == "link" and rel in attrs.get("rel", "").split()]


class _Reader(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self._element(tag, dict(attrs))
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self._element(tag, dict(attrs))

    def _element(self, tag: str, attrs: dict) -> None:
        page = self.page
        page.elements.append((tag, attrs))
        if "id" in attrs:
            page.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            page.ids.add(attrs["name"])
        if tag == "html":
            page.root = attrs
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            page.meta.setdefault(attrs.get("name") or attrs.get("property"), attrs.get("content", ""))
        for attr in ("href", "src", "srcset", "poster", "data"):
            if attr in attrs:
                values = [v.split()[0] for v in attrs[attr].split(",") if v.strip()] if attr == "srcset" \
                    else [attrs[attr]]
                page.links.extend((tag, attr, v, attrs) for v in values)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip():
            self.page.texts.append((tuple(self.stack), data))


def read_page(text: str) -> Page:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.page


RESOURCE_TAGS = {"img", "script", "source", "iframe", "video", "audio", "embed", "object", "track", "input"}
NAVIGATION_RELS = {"canonical", "alternate", "next", "prev", "author", "license", "help", "search"}


def is_resource(tag: str, attrs: dict) -> bool:
    """True when a browser fetches the target while showing the page (a stylesheet, font, image, script)."""
    if tag in RESOURCE_TAGS:
        return True
    return tag == "link" and not set(attrs.get("rel", "").split()) <= NAVIGATION_RELS


@dataclass
class Crawl:
    pages: dict[str, Page] = field(default_factory=dict)       # URL -> page, for every HTML page reached
    status: dict[str, int] = field(default_factory=dict)       # URL -> HTTP status, for everything fetched
    problems: list[str] = field(default_factory=list)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None     # a redirect is reported as what it is, not followed


def crawl(base: str, missing: str | None = None) -> Crawl:
    """Fetch every page, stylesheet, font, image, sitemap entry and robots.txt reachable from `base`, following
    links inside `base` only. Reports broken links, missing #anchors, redirects, and resources from other hosts.
    `missing` is a path under base that must answer 404 with the site's own page, whose links are followed too."""
    opener = urllib.request.build_opener(_NoRedirect)
    result = Crawl()
    anchors: list[tuple[str, str, str]] = []        # (page, target, fragment)
    queue: deque[tuple[str, str]] = deque([(base, "start"), (base + "robots.txt", "start"),
                                           (base + "sitemap.xml", "start")])
    if missing:
        queue.append((base + missing, "404"))
    seen = {url for url, _ in queue}

    def follow(url: str, referrer: str) -> None:
        if url not in seen:
            seen.add(url)
            queue.append((url, referrer))

    while queue:
        url, referrer = queue.popleft()
        try:
            with opener.open(url, timeout=10) as response:
                status, body, kind = response.status, response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status, body, kind = error.code, error.read(), error.headers.get_content_type()
        result.status[url] = status
        if status != (404 if referrer == "404" else 200):
            result.problems.append(f"{url} (linked from {referrer}) answered {status}")
            if referrer != "404":
                continue
        if kind == "text/html":
            page = result.pages[url] = read_page(body.decode("utf-8"))
            for tag, attr, value, attrs in page.links:
                target = urllib.parse.urljoin(url, value)
                scheme = urllib.parse.urlsplit(target).scheme
                if scheme not in ("http", "https"):
                    if is_resource(tag, attrs) or scheme not in ("mailto", "tel"):
                        result.problems.append(f"{url}: <{tag} {attr}={value!r}> is not a web address")
                    continue
                if not target.startswith(base):
                    if is_resource(tag, attrs):
                        result.problems.append(f"{url}: <{tag} {attr}={value!r}> loads from another site")
                    continue
                target, _, fragment = target.partition("#")
                if fragment:
                    anchors.append((url, target, urllib.parse.unquote(fragment)))
                follow(target, url)
        elif kind == "text/css":
            for value in CSS_URL.findall(body.decode("utf-8")):
                target = urllib.parse.urljoin(url, value)
                if not target.startswith(base):
                    result.problems.append(f"{url}: url({value}) loads from another site")
                else:
                    follow(target.partition("#")[0], url)
        elif url.endswith("sitemap.xml"):
            for loc in ET.fromstring(body).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
                follow(loc.text.strip(), url)
        elif url.endswith("robots.txt"):
            for line in body.decode().splitlines():
                if line.lower().startswith("sitemap:"):
                    follow(line.split(":", 1)[1].strip(), url)

    for page_url, target, fragment in anchors:
        if target not in result.pages:
            if result.status.get(target) == 200:
                result.problems.append(f"{page_url}: #{fragment} points into {target}, which is not a page")
        elif fragment not in result.pages[target].ids:
            result.problems.append(f"{page_url}: {target}#{fragment}: no element has id {fragment!r}")
    return result
