"""The internal-link check: every link and #anchor in the files a build writes leads to a file it writes and an
element that file has; a broken one is reported where it was written (a Markdown link, at its file and line)."""
from __future__ import annotations

import html
import posixpath
import re
import urllib.parse
from dataclasses import dataclass

from .model import Error, Site, Where
from .urls import base_path

# Attribute values are written by the templates in double quotes (autoescaped), so patterns find them all; one
# literal pattern per attribute, which the regex engine searches for far faster than an alternation.
HREF, SRC = re.compile(rb'href="([^"]*)"'), re.compile(rb' src="([^"]*)"')
CSS_URL = re.compile(rb"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
ELEMENT_ID = re.compile(rb' id="([^"]*)"')
EXTERNAL = re.compile(rb"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
# A link as an editor writes it in Markdown: [text](target "title") or [name]: target
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)", re.M)


@dataclass
class PageLinks:
    """What one written file links to, and the ids it has."""
    ids: set[bytes]
    to: dict[str, dict[bytes, bytes]]    # target path inside the site ("" is its root) -> #fragment -> the link
    outside: set[bytes]                  # links that climb out of the site


class LinkIndex:
    """The internal-link check, kept between the preview's builds: a file whose bytes did not change is not read
    again (most of an edit's build), and the check itself is set lookups. Correct by construction: a file is
    reused only when its bytes are equal, and a link's meaning depends on nothing but the page it is on."""

    def __init__(self):
        self.read: dict[str, tuple[bytes, PageLinks]] = {}
        self.normal: dict[tuple[str, bytes], str | None] = {}   # (folder, address) -> path in the site, or None

    def check(self, files: dict[str, bytes], site: Site) -> list[Error]:
        """An error for every internal link or #anchor of `files` (HTML and CSS, by output path) that leads
        nowhere, at the Markdown that wrote it, or at the page when a template made it."""
        root = base_path(site.config.base_url)
        pages: dict[str, PageLinks] = {}
        for path, data in files.items():
            if path.endswith((".html", ".css")):
                kept = self.read.get(path)
                if kept is None or (kept[0] is not data and kept[0] != data):
                    kept = (data, self.parse(path, data, root))
                pages[path] = kept[1]
        self.read = {path: (files[path], links) for path, links in pages.items()}
        broken: dict[bytes, tuple[str, str]] = {}        # the link -> (the first page it fails on, why)
        targets: dict[str, str | None] = {}               # path in the site -> the file it serves, or None
        for path, links in pages.items():
            for link in links.outside:
                broken.setdefault(link, (path, "leads out of the site"))
            for to, fragments in links.to.items():
                if to not in targets:
                    folder_index = posixpath.join(to, "index.html")
                    targets[to] = to if to in files else folder_index if folder_index in files else None
                target = targets[to]
                if target is None:
                    for link in fragments.values():
                        broken.setdefault(link, (path, "leads to no file the build writes"))
                elif target in pages and target.endswith(".html"):
                    for fragment in fragments.keys() - pages[target].ids:
                        broken.setdefault(fragments[fragment], (path, f"points to #{_text(fragment)}, "
                                                                      f"which {target} does not have"))
        written = markdown_links(site) if broken else {}
        return [e for link, (page, why) in sorted(broken.items())
                for e in blame(link.decode("utf-8"), page, why, written)]

    def parse(self, path: str, data: bytes, root: str) -> PageLinks:
        html_page = path.endswith(".html")
        found = set(HREF.findall(data)) | set(SRC.findall(data)) if html_page else set(CSS_URL.findall(data))
        ids = set(ELEMENT_ID.findall(data)) | {b"top", b""} if html_page else set()   # "#top", "#": no element
        folder = posixpath.dirname(path)
        up = b"../" * path.count("/")     # how the templates' links climb to the site's root from this page
        links = PageLinks(ids, {}, set())
        for link in found:
            if b"&" in link:        # an entity's "#" is no fragment: the link as the browser reads it
                link = html.unescape(link.decode("utf-8")).encode("utf-8")
            if EXTERNAL.match(link):
                continue
            address, _, fragment = link.partition(b"#")
            address = address.partition(b"?")[0]
            if not address:
                to = path
            else:
                # a link that climbs to the root first means the same from every page: normalised once a site
                key = ("/", address) if address[:1] == b"/" else \
                    ("", address[len(up):] or b"./") if address.startswith(up) else (folder, address)
                if key not in self.normal:
                    self.normal[key] = normal_path(key[0], _text(key[1]), root)
                to = self.normal[key]
            if to is None:
                links.outside.add(link)
            else:
                links.to.setdefault(to, {}).setdefault(fragment, link)
        return links


def normal_path(folder: str, address: str, root: str) -> str | None:
    """The path inside the site a link's address leads to from `folder` ("/" for the host's root), or None."""
    if folder == "/":       # from the host's root: only inside the site's own path (the 404 page's links)
        if not address.startswith(root):
            return None
        folder, address = "", address[len(root):]
    path = posixpath.normpath(posixpath.join(folder, address))
    if path == ".." or path.startswith("../"):
        return None
    return "" if path == "." else path


def _text(raw: bytes) -> str:
    """A link (entities already decoded) as text, %-escapes decoded."""
    return urllib.parse.unquote(raw.decode("utf-8"))


def blame(link: str, page: str, why: str, written: dict[str, list[Where]]) -> list[Error]:
    """Where the link was written: each Markdown field holding it, else the page (a template made it)."""
    return ([where.error(f"link '{link}' {why} (on {page})") for where in written.get(link, [])]
            or [Error(page, 0, f"link '{link}' {why}; a template wrote it")])


def markdown_links(site: Site) -> dict[str, list[Where]]:
    """Every link target an editor wrote in Markdown, with where: the line, in a page; the item, in YAML."""
    found: dict[str, list[Where]] = {}
    for text, where in site.markdown_fields():
        if "](" not in text and "]:" not in text:
            continue
        for m in MARKDOWN_LINK.finditer(text):
            line = where.line + text.count("\n", 0, m.start()) if where.path.endswith(".md") else where.line
            found.setdefault(m.group(1) or m.group(2), []).append(Where(where.path, line))
    return found
