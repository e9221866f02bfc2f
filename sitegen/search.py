"""Search: a Pagefind index of the site's facts, names, topics, pages and articles, with Arabic spelling folded.

Each fact, entity, topic, prose page and article is one record (an HTML document only Pagefind reads), built from
the content, not from the rendered pages, so no header, navigation or footer is ever indexed. A record's indexed
text is folded (`fold`: hamza forms of alef, ى/ي, ة/ه, tatweel, diacritics, as Lucene's ArabicNormalizer does);
the search page folds the query with the same table, and shows each result's original text from its metadata.
A fact's record also holds every name the articles give the entities it names, so any spelling finds it.
Pagefind searches metadata too, so what a record only shows or sorts by is not metadata: its address (the search
page takes Pagefind's own), and its kind and a fact's articles, which are filter values (an article is found by its
own record). Searched, an article's headline found every fact citing it, whether or not the fact says those words.

The bundle goes into pagefind/HASH/, HASH being a digest of its files, and the search page is pointed at it: a
deploy replaces the search page and its index together, never one file of an index with another's. A large site's
index is made in parts (`search_bundle`), which the search page merges.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .model import Error, Site
from .parallel import Forked, can_fork
from .urls import from_root, path_of

# Lucene's ArabicNormalizer (alef forms, dotless yeh, teh marbuta, tatweel, the eight harakat), plus alef wasla,
# the dagger alef and Farsi yeh and keheh, which Arabic keyboards also type; Arabic-Indic digits as Latin ones.
FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه", "ـ": "", "ٰ": "",
        **{chr(c): "" for c in range(0x064B, 0x0653)},
        **{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
_TABLE = str.maketrans(FOLD)

SEARCH_PAGE = path_of("search")
BUNDLE = "pagefind/"            # the search page's data-bundle names this folder; the build adds the version
# How much a name counts against a word of a sentence (1): an entity's own names are its title, above Pagefind's h1
# (7); the names of the entities a fact mentions count thrice, so the fact is found by every spelling of them and
# ranks above a passing mention.
OWN_NAME_WEIGHT, MENTIONED_NAME_WEIGHT = 10, 3
# While it builds an index, Pagefind holds every word of every record several times over: ~50 KB a record, 500 MB
# at 10,000 facts. So a larger site's records go to Pagefind in parts of at most this many (~140 MB each), a
# process each, and the search page merges the parts (Pagefind's mergeIndex).
PART_RECORDS = 2000
# A one-off build's forked index runs two Pagefind processes at a time: Pagefind uses one core for much of a part,
# and the index takes as long as the rendering beside it. The preview's, in a thread, keeps to one.
AT_ONCE = 2
PARTS = "parts.json"        # the bundle's list of its other parts' folders (static/search.js reads it)
VOCABULARY = "vocabulary"   # the filter of each part's record of every word (`vocabulary_record`), never shown


def fold(text: str) -> str:
    """Text as the index holds it and as the search page sends a query."""
    return text.translate(_TABLE)


@dataclass(frozen=True)
class Record:
    url: str        # the result's address from the site root, e.g. "topics/flights/#flights-resumed"
    html: str       # what Pagefind reads: folded text in <main>, the original text as metadata


def records(site: Site) -> list[Record]:
    """One record per fact, entity, topic, prose page and article, in site order."""
    topics = {t.id: t for t in site.topics}
    entities = {e.id: e for e in site.entities()}
    sources = {s.id: s for s in site.sources}
    out = []
    for topic in (topics[i] for i in site.config.topics if i in topics):   # in navigation order
        out.append(_record(from_root("", topic.path), "topic", topic.title, topic.summary, topic=topic.title))
        out += [fact_record(fact, topic, entities, sources) for fact in topic.facts]
    out += [entity_record(entity, topics) for entity in site.entities()]
    for page in site.pages:
        out.append(_record(from_root("", page.path), "page", page.title, page.description + " " + _plain(page.body)))
    for source in site.sources:
        out.append(_record(from_root("", source.path), "article", source.name,
                           " ".join(x for x in (source.headline, source.outlet, source.author) if x)))
    return out


def entity_record(entity, topics: dict) -> Record:
    """A person, property, organisation or meeting, found by every name the articles give it. The search page puts
    it first when the query names it (static/search.js): a person by any words of one of their names, a family name
    alone included; anything else by one of its names whole («روسيا», «بايونير بوينت»), as their words alone name
    nothing; a meeting only by the site's name for it, the articles' being descriptions («المحادثات»)."""
    names = [entity.name] + [v.text for v in entity.names]
    return _record(from_root("", entity.path), "entity", entity.name, " ".join(v.text for v in entity.roles),
                   names=names, weight=OWN_NAME_WEIGHT, topic=topics[entity.topic_id].title,
                   naming=("words" if entity.kind == "person" else "whole",
                           [entity.name] if entity.kind == "meeting" else names))


def fact_record(fact, topic, entities: dict, sources: dict) -> Record:
    """A fact, found by its words and by every name of the entities it names, with its articles to show."""
    cited = dict.fromkeys(c.source_id for c in fact.all_citations())
    names = [v.text for ident in fact.entity_ids for v in entities[ident].names]
    names += [entities[ident].name for ident in fact.entity_ids]
    return _record(from_root("", fact.path), "fact", _plain(fact.text), " ".join(_plain(v.text) for v in fact.variants),
                   names=names, weight=MENTIONED_NAME_WEIGHT, topic=topic.title,
                   sources=[_source_name(sources[s]) for s in cited])


def _record(url: str, kind: str, title: str, text: str, names: list[str] = (), weight: int = 1, topic: str = "",
            sources: list[str] = (), naming: tuple[str, list[str]] | None = None) -> Record:
    """kind: topic, fact, entity, page or article, which the search page names in words (templates/search.html)."""
    e = html.escape
    meta = [("title", title)] + ([("topic", topic)] if topic else [])
    filters = [("kind", kind)] + ([("topic", topic)] if kind == "fact" else []) + [("sources", n) for n in sources]
    if naming:  # the search page asks for these records on their own (filter "named") and matches these names
        how, matched = naming
        meta.append(("names", "|".join(dict.fromkeys(" ".join(fold(n).split()) for n in matched))))
        filters += [("named", "1"), ("naming", how)]
    parts = ['<!doctype html><html lang="ar"><head><meta charset="utf-8"><title></title></head><body>']
    parts += [f'<span data-pagefind-meta="{k}">{e(v)}</span>' for k, v in meta]
    parts += [f'<span data-pagefind-filter="{k}">{e(v)}</span>' for k, v in filters]
    parts.append(f"<main data-pagefind-body><p>{e(fold(title))}</p><p>{e(fold(text))}</p>")
    if names:
        unique = " ".join(dict.fromkeys(fold(n) for n in names))
        parts.append(f'<p data-pagefind-weight="{weight}">{e(unique)}</p>')
    parts.append("</main></body></html>")
    return Record(url, "".join(parts))


def search_bundle(recs: list[Record]) -> dict[str, bytes]:
    """The search bundle, by path inside its folder (`bundle_parts`, put together)."""
    files: dict[str, bytes] = {}
    for part in bundle_parts(recs):
        files.update(part)
    return dict(sorted(files.items()))


def bundle_parts(recs: list[Record], at_once: int = 1) -> Iterator[dict[str, bytes]]:
    """The search bundle's files, one part's at a time as Pagefind makes them: the first part's index with
    Pagefind's script at the top, every other part's index in a folder of its own, parts/DIGEST/, then PARTS listing
    those folders. Record i goes to part i mod n, so each part holds a like share of every topic and kind; each
    part also holds the record of every word of the site. `at_once` Pagefind processes run at a time."""
    from .pagefind import API, pagefind_bundle, version   # where it runs: the forked process, off the build's path

    count = -(-len(recs) // PART_RECORDS) or 1
    if count == 1:
        yield pagefind_bundle(recs) | {PARTS: b"[]"}
        return
    from concurrent.futures import ThreadPoolExecutor

    every_word = vocabulary_record(recs)
    pool = ThreadPoolExecutor(max_workers=at_once)
    try:
        made = pool.map(pagefind_bundle, [recs[first::count] + [every_word] for first in range(count)])
        yield next(made)
        folders = []
        for files in made:
            part = {path: data for path, data in files.items() if not path.startswith(API)}
            folders.append(f"parts/{version(part)}/")
            yield {folders[-1] + path: data for path, data in part.items()}
        yield {PARTS: json.dumps(folders).encode()}
    finally:    # stopped early (the build failed): no part is started, the running ones end with the process
        pool.shutdown(wait=False, cancel_futures=True)


def vocabulary_record(recs: list[Record]) -> Record:
    """A record holding every word of the site, in metadata (which Pagefind searches too, and which adds nothing to
    a page's length), filtered out of every search (search.js). Pagefind leaves out of a query any word its index
    does not hold: with this record in each part, a word of the site is in every part, so a part without it finds
    nothing for a query with it, as one index would, instead of what the other words find."""
    words = sorted({word for r in recs for word in html.unescape(_TAGS.sub(" ", _FILTERS.sub("", r.html))).split()})
    e = html.escape
    return Record("#" + VOCABULARY, '<!doctype html><html lang="ar"><head><meta charset="utf-8"><title></title>'
                  f'</head><body><span data-pagefind-meta="{VOCABULARY}">{e(" ".join(words))}</span>'
                  f'<span data-pagefind-filter="{VOCABULARY}">1</span><main data-pagefind-body><p>{e(words[0])}</p>'
                  '</main></body></html>')


_TAGS = re.compile(r"<[^>]*>")
_FILTERS = re.compile(r"<span data-pagefind-filter=[^>]*>[^<]*</span>")   # values, not words Pagefind searches


def _plain(markdown_text: str) -> str:
    return " ".join(markdown_text.replace("*", "").replace("_", "").replace("#", "").split())


def _source_name(source) -> str:
    return f"{source.outlet}: «{source.name}»" if source.outlet and source.outlet != source.name else f"«{source.name}»"


class SiteIndex:
    """The search index of one build, started before the pages render: where the process may fork, a forked copy
    makes the records and runs Pagefind while this one renders (at 10,000 facts, Pagefind's 6-8 s then overlap the
    render instead of following it), and once told where (`write_into`: a folder lent by the staged site), writes
    each part's files as Pagefind makes them, so that writing its 10,000 files overlaps the render too, and hands
    back only their names; elsewhere it is made when asked for. A context manager: leaving it ends a job whose
    index was never asked for (the build failed)."""

    def __init__(self, site: Site):
        self.site = site
        self.job: Forked | None = None
        self.told: int | None = None        # the pipe telling the forked copy where to write
        self.folder: Path | None = None     # the folder it writes into
        if can_fork():
            where, self.told = os.pipe()
            self.job = Forked(_index_in_child, (site, where, self.told))
            os.close(where)

    def __enter__(self) -> "SiteIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()

    def cancel(self) -> None:
        """End the forked copy, and with it any writing (what it wrote goes with the staged folder)."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
        if self.told is not None:
            os.close(self.told)
            self.told = None

    def write_into(self, staged) -> None:
        """Where the forked copy writes the bundle: a folder lent by `staged` (write.Staged), which stops the copy
        before it removes that folder; with None (nothing staged) it hands the bundle back in memory."""
        if self.told is not None and staged is not None:
            self.folder = staged.lend(SCRATCH, self.cancel)
        self._tell(self.folder)

    def _tell(self, folder: Path | None) -> None:
        if self.told is not None:
            try:
                os.write(self.told, os.fsencode(folder or "") + b"\0")
            except OSError:     # the copy is gone: add_to makes the index here
                pass
            os.close(self.told)
            self.told = None

    def add_to(self, files) -> list[Error]:
        """Put the index into `files` (a dict, or write.Staged) under pagefind/HASH/ and point the search page at
        it."""
        self._tell(None)    # not told where: then it hands the bundle back
        made = self.job.result() if self.job is not None else None
        self.job = None
        if isinstance(made, OnDisk):
            errors = point_search_page(files, made.version)
            if not errors:
                files.adopt(self.folder, f"{BUNDLE}{made.version}/", made.paths)
            return errors
        if self.folder is not None:     # what a copy that died or could not write left
            shutil.rmtree(self.folder, ignore_errors=True)
        if made is None:     # not started, or the forked copy died: made here, so a failure is reported
            made = _bundle_or_error(self.site)
        return [made] if isinstance(made, Error) else add_bundle(made, files)


SCRATCH = ".pagefind.new"   # the folder of the staged site the forked copy writes the bundle into


@dataclass(frozen=True)
class OnDisk:
    """A bundle the forked copy wrote: its folder's name (pagefind.version) and its files' paths, in order."""
    version: str
    paths: list[str]


def _index_in_child(job: tuple[Site, int, int]) -> dict[str, bytes] | OnDisk | Error:
    """In the forked copy: the bundle, a part at a time; once the first is made, the parent says where to write
    (or that it wants the bundle back), and each part is written there by a thread while Pagefind makes the next."""
    site, where, parents_end = job
    os.close(parents_end)
    try:
        from .pagefind import version

        files: dict[str, bytes] = {}
        writer: Writer | None = None
        for number, part in enumerate(bundle_parts(records(site), AT_ONCE)):
            if number == 0:
                folder = _read_folder(where)
                writer = Writer(folder) if folder is not None else None
            if writer is not None:
                writer.add(part)
            files.update(part)
        bundle = dict(sorted(files.items()))
        return OnDisk(version(bundle), list(bundle)) if writer is not None and writer.done() else bundle
    except Exception as exc:  # no binary for this platform, Pagefind failing: one line, not a traceback
        return _failed(exc)


def _read_folder(pipe: int) -> Path | None:
    said = b""
    while not said.endswith(b"\0") and (chunk := os.read(pipe, 4096)):
        said += chunk
    os.close(pipe)
    return Path(os.fsdecode(said[:-1])) if said.endswith(b"\0") and len(said) > 1 else None


class Writer:
    """Files written into a folder by a thread, a batch after another, while the caller makes the next batch.
    done() waits for the last: whether every file was written (if not, the caller writes them another way)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: set[Path] = set()
        self.failed = False
        self.thread: threading.Thread | None = None

    def add(self, files: dict[str, bytes]) -> None:
        self.done()
        self.thread = threading.Thread(target=self._write, args=(files,), daemon=True)
        self.thread.start()

    def done(self) -> bool:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        return not self.failed

    def _write(self, files: dict[str, bytes]) -> None:
        try:
            for path, data in files.items():
                if self.failed:
                    return
                target = self.folder / path
                if target.parent not in self.made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self.made.add(target.parent)
                target.write_bytes(data)
        except BaseException:   # the parent writes the bundle instead, and says why if it cannot either
            self.failed = True


class NoIndex:
    """A build without a search index (the preview makes its own, serve.py; `check` writes nothing)."""

    def __enter__(self) -> "NoIndex":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def write_into(self, staged) -> None:
        pass

    def add_to(self, files: dict[str, bytes]) -> list[Error]:
        return []


def _bundle_or_error(site: Site) -> dict[str, bytes] | Error:
    try:
        return search_bundle(records(site))
    except Exception as exc:  # no binary for this platform, Pagefind failing: one line, not a traceback
        return _failed(exc)


def _failed(exc: Exception) -> Error:
    return Error("search", 0, f"the search index could not be built: {type(exc).__name__}: {exc}")


def add_bundle(bundle: dict[str, bytes], files: dict[str, bytes]) -> list[Error]:
    from .pagefind import version

    digest = version(bundle)
    errors = point_search_page(files, digest)
    if not errors:
        files.update({f"{BUNDLE}{digest}/{path}": data for path, data in bundle.items()})
    return errors


def point_search_page(files: dict[str, bytes], version: str) -> list[Error]:
    """The search page's data-bundle names the bundle's folder, pagefind/VERSION/."""
    page = files.get(SEARCH_PAGE, b"")
    pointer = f'data-bundle="../{BUNDLE}"'.encode()
    if page.count(pointer) != 1:
        return [Error("templates/search.html", 0, f"the search page must carry {pointer.decode()} once")]
    files[SEARCH_PAGE] = page.replace(pointer, f'data-bundle="../{BUNDLE}{version}/"'.encode())
    return []


class BackgroundIndex:
    """The preview's index: made in a thread after each good build, so it never delays the reload, and written by
    that thread into a folder of its own under `folder` (named by its digest), never into the site the builds
    write. `folders()` is what the preview serves at pagefind/: the newest bundle, then the one before it (whose
    chunks a search page that loaded it may still ask for). `made`, if given, is called (in the thread) each time
    one is in place."""

    def __init__(self, folder: Path, made: Callable[[], None] | None = None):
        self.folder = Path(folder)
        self.notify = made
        self.lock = threading.Lock()
        self.writing = threading.Lock()     # held while a bundle is written: close() waits for it
        self.wanted: Site | None = None
        self.indexed: list[Record] | None = None    # the records of the last bundle asked for
        self.served: tuple[Path, ...] = ()  # the newest bundle's folder, then the one before it
        self.fresh = False                  # a bundle was put in place since the last take()
        self.running = False
        self.closed = False

    def update(self, site: Site) -> None:
        """Index this site in the thread. Its records are made there too, off the rebuild's path: they read only
        what load() made, which no later build changes (resolve_citations sets offsets, which they do not read)."""
        with self.lock:
            if self.closed:
                return
            self.wanted = site
            if self.running:
                return
            self.running = True
        threading.Thread(target=self._run, daemon=True).start()

    def folders(self) -> tuple[Path, ...]:
        return self.served

    def take(self) -> bool:
        """Whether a bundle was put in place since the last call."""
        with self.lock:
            fresh, self.fresh = self.fresh, False
        return fresh

    def close(self) -> None:
        """No bundle is written from now on (the folder is about to be removed); waits for one being written."""
        with self.lock:
            self.closed, self.wanted = True, None
        with self.writing:
            pass

    def _run(self) -> None:
        while True:
            with self.lock:
                site, self.wanted = self.wanted, None
                if site is None:
                    self.running = False
                    return
            recs = records(site)
            if recs == self.indexed:    # nothing a reader can search for changed
                continue
            self.indexed = recs
            try:
                placed = self._place(search_bundle(recs))
            except Exception as exc:  # the preview goes on with the index it has; say why once
                print(f"search index: not updated ({type(exc).__name__}: {exc})", flush=True)
                self.indexed = None
                continue
            if placed:
                with self.lock:
                    self.fresh = True
                if self.notify:
                    self.notify()

    def _place(self, bundle: dict[str, bytes]) -> bool:
        """Write the bundle into its own folder, make it the newest served, and remove the ones before the one
        before it. A folder is complete before it is served, and never changed while it is."""
        from .pagefind import version

        with self.writing:
            folder = self.folder / version(bundle)
            if self.closed or folder in self.served[:1]:
                return False
            if folder not in self.served:
                scratch = self.folder / f".{folder.name}.new"
                shutil.rmtree(scratch, ignore_errors=True)
                made = set()
                for path, data in bundle.items():
                    if self.closed:
                        shutil.rmtree(scratch, ignore_errors=True)
                        return False
                    target = scratch / path
                    if target.parent not in made:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        made.add(target.parent)
                    target.write_bytes(data)
                shutil.rmtree(folder, ignore_errors=True)   # a half-removed one of the same digest
                scratch.rename(folder)
            self.served = (folder,) + tuple(f for f in self.served[:1] if f != folder)
            for old in self.folder.iterdir():
                if old not in self.served:
                    shutil.rmtree(old, ignore_errors=True)
            return True
