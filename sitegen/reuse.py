"""What the preview keeps from one build to the next, each piece keyed by the content it came from.

`Reuse` runs the same stages as a one-off build (pipeline.Stages) and adds memory between builds:
- load reads again only the topic files whose text changed (and, inside one, only the facts that changed), and
  keeps the sources while sources.yaml and every article read the same;
- validate keeps each topic file's errors by its text and what its checks read of the rest (validate.Known);
- resolve_citations keeps each topic's citation offsets and errors by its text and the articles' (a topic's
  key), and looks up each quote of a changed topic by the hash of its article and the quote itself;
- render reuses a page when every key it read while rendering (deps.py), the templates it loaded and the output
  of the fragments it shows included, hashes the same in the new site, and the interface text, static files and
  settings are the same; fragments likewise, by the hash of the fact they show, a
  page's reference list by its references, facts.json's lines by the topic's key, and each topic's share of the
  lookup tables while the topic and the articles are the same (tables.py);
- the link check reads again only files whose bytes changed, and judges a page again only when it changed or a
  file it links to came, went or has other ids (links.LinkIndex);
- write brings the spare folder (the site before last) up to date and swaps it in.
Each table is replaced by what the latest build used, so memory stays flat however long the preview runs.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .citations import Articles, resolve
from .deps import Kept
from .facts_json import fact_line, topic_lines
from .fragments import FragmentStore
from .i18n import CATALOG
from .links import LinkIndex
from .load import load
from .model import Error, Fact, Site, Source, Topic
from .pipeline import Stages
from .render import Rendered, make_env
from .tables import Tables, site_tables
from .validate import Known, check_source, check_topic, validate
from .write import write


class Reuse(Stages):
    keeps = True

    def __init__(self):
        self.topics: dict = {}          # topic file -> the Topic last read from it
        self.sources: dict = {}         # the text of sources.yaml -> the sources last read from it (load.py)
        self.checked: dict = {}         # (topic id, text hash, validate.Known) -> the topic's errors, and
                                        # id(source) -> (source, its errors)
        self.article_keys: dict = {}    # id(source) -> (source, the hash of its text and body): citations.Articles
        self.articles = b""             # the hash of every article, this build's
        self.resolved: dict = {}        # topic key -> (topic, its citations' offsets, errors, its quotes found:
                                        # (article hash, quote) -> (start, end, line))
        self.lines: dict = {}           # topic key -> its facts' lines of facts.json
        self.fact_lines: dict = {}      # id(fact) -> (fact, articles, its line): the topics made last build
        self.inputs: tuple | None = None    # interface text, static names, settings: what every page depends on
        self.env = None
        self.pages: dict[str, tuple[bytes, bytes, frozenset]] = {}   # path -> (page hash, html, the keys it read)
        self.read: dict[tuple, object] = {}     # each key some page read -> what it was worth then
        self.readers: dict[tuple, set[str]] = {}    # each key -> the pages that read it
        self.store = FragmentStore()
        self.kept = Kept()              # fact hashes and hashed values of the last build, for deps.Digests
        self.tables = Tables()          # each topic's part of the lookup tables, and their joins (tables.py)
        self.on_disk: tuple[Path, dict] | None = None   # the folder the last write made, and its files
        self.spare = None               # write.Spare: the site before last, to bring up to date next time
        self.link_index = LinkIndex(keep=True)  # each file's links and ids, by its bytes
        self.objects_read: tuple[dict, bytes] = ({}, b"")    # the model objects of the last build by (kind, id)
                                                             # (deps.Digests.objects), and the articles' hash then

    def load(self, root: Path) -> tuple[Site | None, list[Error]]:
        site, errors = load(root, self.topics, self.sources)
        if site is not None:  # a file read with errors is read whole again next time, and its errors found again
            broken = {e.path for e in errors}
            self.topics = {t.where.path: t for t in site.topics if t.where.path not in broken}
        return site, errors

    def validate(self, site: Site, references: bool) -> list[Error]:
        """A topic's errors kept by its text and what its checks read of the rest; a source's while it is the
        same object (loaded again only when its text changes)."""
        checked: dict = {}

        def topic_errors(topic: Topic, known: Known) -> list[Error]:
            key = (topic.id, topic.digest, known)
            found = checked[key] = self.checked[key] if key in self.checked else check_topic(topic, known)
            return found

        def source_errors(source: Source) -> list[Error]:
            entry = self.checked.get(id(source))
            if entry is None or entry[0] is not source:
                entry = (source, check_source(source))
            checked[id(source)] = entry
            return entry[1]
        errors = validate(site, references, topic_errors, source_errors)
        self.checked = checked
        return errors

    def topic_key(self, topic: Topic) -> tuple:
        """What all a topic's citations, resolved, come from: its file's text and every article."""
        return (topic.id, topic.digest, self.articles)

    def resolve_citations(self, site: Site) -> list[Error]:
        """Each topic's citations resolved again only when its key changed; its offsets are set again when the
        topic is another object than the one they were found for (a file read again)."""
        articles = Articles(site.sources, self.article_keys)
        self.articles = articles.digest()
        self.article_keys = {id(s): articles.kept[id(s)] for s in site.sources}
        quotes = {entry[0].id: entry[3] for entry in self.resolved.values()}
        resolved, errors = {}, []
        for topic in site.topics:
            key = self.topic_key(topic)
            entry = self.resolved.get(key)
            if entry is None or entry[0] is not topic:
                cites = [c for item in topic.facts + topic.entities for c in item.all_citations()]
                if entry is None:
                    found: dict = {}
                    problems = resolve(cites, articles, quotes.get(topic.id), found)
                    entry = (topic, [(c.start, c.end, c.paragraph) for c in cites], problems, found)
                else:
                    for cite, offsets in zip(cites, entry[1]):
                        cite.start, cite.end, cite.paragraph = offsets
                    entry = (topic,) + entry[1:]
            resolved[key] = entry
            errors += entry[2]
        self.resolved = resolved
        return errors

    def topic_lines(self):
        """A topic's lines of facts.json by its key; a topic made again takes the line of each fact that is the
        same object as before, while the articles are the same."""
        previous, self.lines = self.lines, {}
        made, self.fact_lines = self.fact_lines, {}

        def line_of(fact: Fact) -> str:
            entry = made.get(id(fact))
            if entry is None or entry[0] is not fact or entry[1] != self.articles:
                entry = (fact, self.articles, fact_line(fact))
            self.fact_lines[id(fact)] = entry
            return entry[2]

        def lines_of(topic: Topic) -> bytes:
            key = self.topic_key(topic)
            found = self.lines[key] = previous.get(key) or topic_lines(topic, line_of)
            return found
        return lines_of

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

    def lookup_tables(self, site: Site) -> dict:
        return site_tables(site, self.tables, self.articles)

    def fact_digests(self) -> Kept:
        if self.kept.articles != self.articles:     # the citation offsets may differ: every fact is hashed again
            self.kept = Kept(hashes=self.kept.hashes, articles=self.articles)
        return self.kept

    def reusable(self, planned: list, digests) -> dict[str, bytes]:
        """The pages none of whose reads changed: each key read is looked at once, however many pages read it."""
        dirty: set[str] = set()
        same = self.same_facts(digests)
        for key, then in self.read.items():
            if key[0] == "fact" and key[1] in same:
                continue
            if digests.of(key) != then:
                dirty |= self.readers[key]
        reused = {}
        for page in planned:
            old = self.pages.get(page.path)
            if old is not None and page.path not in dirty and old[0] == page_digest(page, digests):
                reused[page.path] = old[1]
        return reused

    def same_facts(self, digests) -> set[str]:
        """The ids of the facts that are the very objects the last build's pages read, the articles the same: what
        a key of theirs hashes to is what it did (loaded objects are never changed: deps.Kept), unlooked at."""
        then, articles = self.objects_read
        if articles != self.articles:
            return set()
        return {key[1] for key, obj in digests.objects.items() if key[0] == "fact" and then.get(key) is obj}

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
        self.objects_read = (digests.objects, self.articles)
        lists = self.store.lists
        for path in rendered.keys() | (lists.keys() - pages.keys()):
            kept = rendered[path].references if path in rendered else None
            if kept is None:
                lists.pop(path, None)
            else:   # a view into the page as written: the page's bytes hold the list once
                lists[path] = (kept[0], kept[1], memoryview(rendered[path].html)[kept[2]:kept[3]])
        self.store.prune(digests.site, digests)
        live = {id(f) for f in digests.site.facts()}
        self.kept = Kept({k: v for k, v in self.kept.facts.items() if k in live}, digests.hashes, self.kept.articles,
                         digests.lists, digests.values)

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
