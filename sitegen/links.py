"""The internal-link check: every link and #anchor in the files a build writes leads to a file it writes and an
element that file has; a broken one is reported where it was written (a Markdown link, at its file and line)."""
from __future__ import annotations

import html
import posixpath
import re
import urllib.parse
from itertools import groupby
from operator import itemgetter
from dataclasses import dataclass

from .model import Error, Site, Where
from .parallel import in_two
from .urls import base_path, page_url, relative_url

# Attribute values are written by the templates in double quotes (autoescaped), so patterns find them all, split
# into (address, #fragment); one literal pattern per attribute, which the regex engine finds far faster than an
# alternation.
HREF, SRC = re.compile(rb'href="([^"#]*)#?([^"]*)"'), re.compile(rb' src="([^"#]*)#?([^"]*)"')
CSS_URL = re.compile(rb"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
ELEMENT_ID = re.compile(rb' id="([^"]*)"')
EXTERNAL = re.compile(rb"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
# A link as an editor writes it in Markdown: [text](target "title") or [name]: target
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)", re.M)


@dataclass
class PageLinks:
    """What one written file links to."""
    to: dict[str, list[tuple[bytes, set[bytes]]]]   # target path inside the site ("" is its root) ->
                                                    # (each address written for it, the #fragments it is given)
    broken: list[tuple[bytes, str]]      # (link, why) for links that fail whatever else changes: an anchor of its
                                         # own that it lacks, a link out of the site


class LinkIndex:
    """The internal-link check. With keep (the preview's builds) it remembers each file's links and ids and the
    verdict on each page: a file whose bytes did not change is not read again, and a page is judged again only
    when it changed or a file it links to came, went or has other ids. Correct by construction: a link's meaning
    depends only on the page it is on, its verdict only on that page and whether its targets exist with their
    ids. Without keep (a one-off build) nothing is held longer than needed: the ids of every page, then one page's
    links at a time."""

    def __init__(self, keep: bool = False):
        self.keep = keep
        self.ids: dict[str, tuple[bytes, frozenset[bytes]]] = {}
        self.links: dict[str, tuple[bytes, PageLinks]] = {}
        self.verdicts: dict[str, list[tuple[bytes, str]]] = {}
        self.paths: frozenset[str] = frozenset()
        self.normal: dict[tuple[str, bytes], str | None] = {}   # (folder, address) -> path in the site, or None
        self.root = ""

    def check(self, files: dict[str, bytes], site: Site) -> list[Error]:
        """An error for every internal link or #anchor of `files` (HTML and CSS, by output path) that leads
        nowhere, at the Markdown that wrote it, or at the page when a template made it."""
        root = base_path(site.config.base_url)
        if root != self.root:   # what a link from the host's root means depends on it
            self.root, self.normal = root, {}
        read = [path for path in files if path.endswith((".html", ".css"))]
        ids = {path: self.ids_of(path, files[path]) for path in read if path.endswith(".html")}
        changed = {path for path in read if not _same(self.links.get(path), files[path])}
        touched = self.touched(files, ids)
        order = {path: i for i, path in enumerate(read)}
        # A one-off build's pages are read and judged half by a forked copy: the check is the build's last step,
        # alone on one core otherwise. Every other page each, as large pages come together. Kept links stay here.
        results = sorted(in_two(lambda paths: self.judged(paths, files, root, ids, changed, touched),
                                read[::2] + read[1::2], parallel=not self.keep), key=lambda r: order[r[0]])
        broken: dict[bytes, tuple[str, str]] = {}        # the link -> (the first page it fails on, why)
        for path, verdict, _ in results:
            for link, why in verdict:
                broken.setdefault(link, (path, why))
        if self.keep:
            self.remember(files, ids, results)
        written = markdown_links(site) if broken else {}
        facts = {f.id: f for f in site.facts()} if broken else {}
        return [e for link, (page, why) in sorted(broken.items())
                for e in blame(link.decode("utf-8"), page, why + where_shown(link, page, facts), written)]

    def judged(self, paths: list[str], files: dict[str, bytes], root: str, ids: dict, changed: set,
               touched: set) -> list[tuple[str, list, PageLinks | None]]:
        """Each page's broken links, and its links when they are kept."""
        targets, out = Targets(files), []
        for path in paths:
            links = self.links_of(path, files[path], root, ids)
            out.append((path, self.verdict(path, links, changed, touched, targets, ids), links if self.keep else None))
        return out

    def remember(self, files: dict[str, bytes], ids: dict, results: list) -> None:
        """What the next check starts from: each file's ids and links, by its bytes, and each page's verdict."""
        self.ids = {path: (files[path], page_ids) for path, page_ids in ids.items()}
        self.links = {path: (files[path], links) for path, _, links in results}
        self.verdicts, self.paths = {path: verdict for path, verdict, _ in results}, frozenset(files)

    def touched(self, files: dict[str, bytes], ids: dict[str, frozenset[bytes]]) -> set[str]:
        """The keys of the files that came, went or have other ids since the last check: a link's verdict
        depends on whether its target exists and on the target's ids, nothing else of it. A link to a file is
        stored under its path, and under its folder for an index.html."""
        moved = self.paths.symmetric_difference(files) | {
            path for path, page_ids in ids.items() if path not in self.ids or self.ids[path][1] != page_ids}
        return moved | {posixpath.dirname(path) for path in moved if posixpath.basename(path) == "index.html"}

    def links_of(self, path: str, data: bytes, root: str, ids: dict) -> PageLinks:
        kept = self.links.get(path)
        return kept[1] if _same(kept, data) else self.parse(path, data, root, ids.get(path, frozenset()))

    def verdict(self, path: str, links: PageLinks, changed: set, touched: set, targets, ids: dict) -> list:
        """The page's broken links: judged again when it changed or links to a file that came, went or has
        other ids (`touched`), else as before."""
        if path in changed or path not in self.verdicts or not touched.isdisjoint(links.to):
            return links.broken + judge(links, targets, ids)
        return self.verdicts[path]

    def ids_of(self, path: str, data: bytes) -> frozenset[bytes]:
        kept = self.ids.get(path)
        if _same(kept, data):
            return kept[1]
        return frozenset(ELEMENT_ID.findall(data)) | {b"top", b""}     # "#top" and "#" need no element

    def parse(self, path: str, data: bytes, root: str, own_ids: frozenset[bytes]) -> PageLinks:
        if path.endswith(".html"):
            pairs = set(HREF.findall(data)) | set(SRC.findall(data))
        else:
            pairs = {link.partition(b"#")[::2] for link in CSS_URL.findall(data)}
        entities = {pair for pair in pairs if b"&" in pair[0] or b"&" in pair[1]}
        if entities:    # an entity's "#" is no fragment: read as a browser does
            read = {html.unescape(_link(a, f).decode("utf-8")).encode("utf-8") for a, f in entities}
            pairs = (pairs - entities) | {link.partition(b"#")[::2] for link in read}
        # address -> its fragments (b"" for none), grouped in sorted order rather than one insertion per link
        fragments = {address: {f for _, f in group} for address, group in groupby(sorted(pairs), key=itemgetter(0))}
        links = PageLinks({}, [])
        for fragment in fragments.pop(b"", set()) - own_ids:
            links.broken.append((b"#" + fragment, f"points to #{_text(fragment)}, which {path} does not have"))
        folder = posixpath.dirname(path)
        up = b"../" * path.count("/")     # how the templates' links climb to the site's root from this page
        for address, wanted in fragments.items():
            if EXTERNAL.match(address):
                continue
            plain = address.partition(b"?")[0]
            # a link that climbs to the root first means the same from every page: normalised once a site
            key = ("/", plain) if plain[:1] == b"/" else \
                ("", plain[len(up):] or b"./") if plain.startswith(up) else (folder, plain)
            if key not in self.normal:
                self.normal[key] = normal_path(key[0], _text(key[1]), root)
            to = self.normal[key]
            if to is None:
                links.broken += [(_link(address, f), "leads out of the site") for f in wanted]
            else:
                links.to.setdefault(to, []).append((address, wanted))
        return links


class Targets(dict):
    """Path in the site -> the file the build writes for it (itself, or its folder's index.html), or None."""

    def __init__(self, files: dict[str, bytes]):
        super().__init__()
        self.files = files

    def __missing__(self, to: str) -> str | None:
        folder_index = posixpath.join(to, "index.html")
        self[to] = to if to in self.files else folder_index if folder_index in self.files else None
        return self[to]


def judge(links: PageLinks, targets: Targets, ids: dict[str, frozenset[bytes]]) -> list[tuple[bytes, str]]:
    """(link, why) for each link of a page to another file that the build does not write, or to an #anchor that
    file does not have."""
    broken = []
    for to, written in links.to.items():
        target = targets[to]
        for address, wanted in written:
            if target is None:
                broken += [(_link(address, f), "leads to no file the build writes") for f in wanted]
            elif target in ids:
                broken += [(_link(address, f), f"points to #{_text(f)}, which {target} does not have")
                           for f in wanted - ids[target]]
    return broken


def _link(address: bytes, fragment: bytes) -> bytes:
    return address + b"#" + fragment if fragment else address


def _same(kept: tuple[bytes, object] | None, data: bytes) -> bool:
    """Whether what was kept was read from these bytes (most often the very same object)."""
    return kept is not None and (kept[0] is data or kept[0] == data)


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


def where_shown(link: bytes, page: str, facts: dict) -> str:
    """Where a fact the link names by its #id is shown, when the link leads elsewhere: a fact of a long topic is
    on the page of the topic its place gives it (facts_per_page), which an edit before it may change."""
    fact = facts.get(_text(link.partition(b"#")[2]))
    if fact is None:
        return ""
    return f"; fact '{fact.id}' is on {page_url(fact.path.partition('#')[0])}: link to '{relative_url(page, fact.path)}'"


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
