"""What the preview keeps from one build to the next, each piece keyed by the content it came from.

`Reuse` runs the same stages as a one-off build (pipeline.Stages) and adds memory between builds:
- load reads again only the topic files whose text changed (and, inside one, only the facts that changed);
- resolve_citations looks up each quote by the hash of its article and the quote itself;
- render reuses a page when every key it read while rendering (deps.py), the templates it loaded and the output
  of the fragments it shows included, hashes the same in the new site, and the interface text, static files and
  settings are the same; fragments and facts.json lines likewise, by the hash of the fact they show;
- the link check reads again only files whose bytes changed (links.LinkIndex);
- write brings the spare folder (the site before last) up to date and swaps it in.
Each table is replaced by what the latest build used, so memory stays flat however long the preview runs.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .citations import resolve_citations
from .deps import Kept
from .facts_json import fact_line
from .fragments import FragmentStore
from .i18n import CATALOG
from .links import LinkIndex
from .load import load
from .model import Error, Site
from .pipeline import Stages
from .render import Rendered, make_env
from .write import write


class Reuse(Stages):
    keeps = True

    def __init__(self):
        self.topics: dict = {}          # topic file -> the Topic last read from it
        self.quotes: dict = {}          # (article hash, quote) -> (start, end, line)
        self.inputs: tuple | None = None    # interface text, static names, settings: what every page depends on
        self.env = None
        self.pages: dict[str, tuple[bytes, bytes, frozenset]] = {}   # path -> (page hash, html, the keys it read)
        self.read: dict[tuple, object] = {}     # each key some page read -> what it was worth then
        self.readers: dict[tuple, set[str]] = {}    # each key -> the pages that read it
        self.store = FragmentStore()
        self.kept = Kept()              # fact hashes and hashed values of the last build, for deps.Digests
        self.lines: dict = {}           # fact digest -> its line of facts.json
        self.on_disk: tuple[Path, dict] | None = None   # the folder the last write made, and its files
        self.spare = None               # write.Spare: the site before last, to bring up to date next time
        self.link_index = LinkIndex(keep=True)  # each file's links and ids, by its bytes

    def load(self, root: Path) -> tuple[Site | None, list[Error]]:
        site, errors = load(root, self.topics)
        if site is not None:  # a file read with errors is read whole again next time, and its errors found again
            broken = {e.path for e in errors}
            self.topics = {t.where.path: t for t in site.topics if t.where.path not in broken}
        return site, errors

    def resolve_citations(self, site: Site) -> list[Error]:
        table: dict = {}
        errors = resolve_citations(site, self.quotes, table)
        self.quotes = table
        return errors

    def environment(self, site: Site, assets: dict[str, str], preview: bool):
        sources = template_hashes(site.root / "templates")
        inputs = (sources.get(CATALOG), tuple(sorted(assets.items())), preview, site.config)
        if inputs != self.inputs:  # anything every page depends on changed: nothing rendered is reused (the
            self.inputs, self.env = inputs, None    # facts.json lines are not rendered)
            self.pages, self.read, self.readers, self.store = {}, {}, {}, FragmentStore()
        if self.env is None or sources != self.env.sources:    # pages and fragments read templates as keys
            self.env = make_env(site.root / "templates")
            self.env.sources = sources
        return self.env

    def links(self) -> LinkIndex:
        return self.link_index

    def fragments(self) -> FragmentStore:
        return self.store

    def fact_digests(self) -> Kept:
        return self.kept

    def fact_lines(self, digests):
        previous, self.lines = self.lines, {}

        def line_of(fact):
            key = digests.whole(fact)
            line = self.lines[key] = previous.get(key) or fact_line(fact)
            return line
        return line_of

    def reusable(self, planned: list, digests) -> dict[str, bytes]:
        """The pages none of whose reads changed: each key read is looked at once, however many pages read it."""
        dirty: set[str] = set()
        for key, then in self.read.items():
            if digests.of(key) != then:
                dirty |= self.readers[key]
        reused = {}
        for page in planned:
            old = self.pages.get(page.path)
            if old is not None and page.path not in dirty and old[0] == page_digest(page, digests):
                reused[page.path] = old[1]
        return reused

    def remember(self, planned: list, rendered: dict[str, Rendered], digests) -> None:
        pages = {}
        for p in planned:
            if p.path in rendered:
                record = digests.record(rendered[p.path].reads)
                self.read.update(record)    # a changed key's readers are all rendered again: one value for all
                pages[p.path] = (page_digest(p, digests), rendered[p.path].html, frozenset(record))
            else:
                pages[p.path] = self.pages[p.path]
        touched = set()
        for path in rendered.keys() | (self.pages.keys() - pages.keys()):   # what changed who reads what
            for key in self.pages[path][2] if path in self.pages else ():
                self.readers[key].discard(path)
                touched.add(key)
            for key in pages[path][2] if path in pages else ():
                self.readers.setdefault(key, set()).add(path)
        for key in touched:
            if not self.readers[key]:   # only what some page reads is kept
                del self.readers[key], self.read[key]
        self.pages = pages
        self.store.prune(digests.site, digests)
        live = {id(f) for f in digests.site.facts()}
        self.kept = Kept({k: v for k, v in self.kept.facts.items() if k in live}, digests.hashes)

    def write(self, files: dict[str, bytes], out: Path):
        previous = self.on_disk[1] if self.on_disk and self.on_disk[0] == out else None
        done, errors = write(files, out, previous, self.spare if previous is not None else None)
        self.spare = done.spare     # none after a failure: what is in it then is not known
        if not errors:
            self.on_disk = (out, files)
        return done, errors


def page_digest(page, digests) -> bytes:
    """What a page is before anything is read: its place, template, titles and the objects it is given."""
    return digests.value((page.path, page.template, page.title, page.description, page.in_sitemap, page.context))


def template_hashes(folder: Path) -> dict[str, bytes]:
    """Each file under `folder` by its name as templates load it, with the hash of its contents."""
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return {path.relative_to(folder).as_posix(): hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
            for path in files}
