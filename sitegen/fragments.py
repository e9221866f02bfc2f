"""Facts and quoted passages rendered once through their partials, then placed on every page that shows them.

A fact appears on its topic page, the timeline, the pages of the entities it names and the disagreements page;
its HTML is the same everywhere except for three things each page fills in: the numbers of its citation markers
(pages number their references in their own order), the way up to the site root ("../" per folder) and, on pages
that mix topics, a line naming its topic. A fragment keeps tokens for those three.

Fragments are stored by the hash of what they show (the fact, the citation) with the keys they read while
rendering (deps.py), so the preview keeps them from one build to the next exactly while they are still right.
A page showing a fact, or a topic line, reads the fragment's output (("fact-html", id), ("topic-line", id)), not
what the fragment read: a template edit that leaves every fragment as it was leaves the pages as they were.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import jinja2
from markupsafe import Markup, escape

from .deps import MISSING, UNKNOWN, Digests, Recorder
from .model import Citation, Fact
from .urls import page_url

# Content is always escaped, so a raw "<" followed by NUL can come only from these tokens.
ROOT = "<\x00root>"       # the way up to the site root, "../" per folder of the page
TOPIC = "<\x00topic>"     # the fact's topic line, or nothing on the topic's own page
MARKER = "<\x00marker>"   # the next citation marker of the fact, numbered by the page


@dataclass
class FragmentStore:
    """Rendered fragments by content hash, each with the record of what it read: {key: digest}."""
    # fact hash -> (pieces: str, int (marker), None (topic); record; hash of the pieces)
    facts: dict[bytes, tuple[list, dict, bytes | None]] = field(default_factory=dict)
    quotes: dict[tuple, tuple[str, dict]] = field(default_factory=dict)     # a quote and a note per citation
    # page path -> (the hash of its references, record, the list's bytes: a view into the page as written)
    lists: dict[str, tuple[bytes, dict, memoryview]] = field(default_factory=dict)
    fact_reads: dict = field(default_factory=dict)  # each key a kept fact fragment read -> its digest in them all

    live: tuple[int, int] = (0, 0)  # how many facts and citations the site had when last counted

    def settle(self, digests: Digests) -> None:
        """Drop the fact fragments that read a key now worth something else. Every kept fragment then holds in
        this build without checking each one's record: a few hundred keys are looked at, not 10,000 records."""
        changed = {key for key, then in self.fact_reads.items() if digests.of(key) != then}
        if changed:
            self.facts = {k: v for k, v in self.facts.items() if changed.isdisjoint(v[1])}
            self.fact_reads.update((key, digests.of(key)) for key in changed)

    def keep_fact(self, key, entry: tuple[list, dict, bytes | None]) -> None:
        """A fact fragment rendered in this build: what it read is worth now what settle() left in fact_reads."""
        self.facts[key] = entry
        self.fact_reads.update(entry[1])

    def prune(self, site, digests: Digests) -> None:
        """Once the store holds twice what the site shows, drop what no fact or citation of it has: memory stays
        flat however many edits the preview sees, and most builds neither pay for a sweep nor count the site."""
        facts_live, cites_live = self.live
        if len(self.facts) > 2 * facts_live + 50:
            facts = site.facts()
            facts_live = len(facts)
            if len(self.facts) > 2 * facts_live + 50:
                live = {digests.whole(f) for f in facts}
                self.facts = {k: v for k, v in self.facts.items() if k in live}
                self.fact_reads = {key: then for entry in self.facts.values() for key, then in entry[1].items()}
        if len(self.quotes) > 4 * cites_live + 50:
            cites = site.citations()
            cites_live = len(cites)
            if len(self.quotes) > 4 * cites_live + 50:
                live = {digests.value(c) for c in cites}
                self.quotes = {k: v for k, v in self.quotes.items() if k[1] in live}
        self.live = (facts_live, cites_live)


class ByIdentity:
    """How a one-off build keys its fragments: by the object, within the build; it keeps no records for a next
    build, so it neither hashes what it renders nor notes what the fragments read."""

    def whole(self, obj) -> int:
        return id(obj)

    value = whole

    def record(self, keys) -> dict:
        return {}

    def output(self, html: str) -> None:
        return None

    def still(self, record: dict) -> bool:
        return True


class Fragments:
    """Renders the fragments one build needs, taking from `store` those whose record still holds."""

    def __init__(self, env: jinja2.Environment, page_context: dict, store: FragmentStore, recorder: Recorder,
                 digests: Digests):
        self.env, self.store, self.recorder, self.digests = env, store, recorder, digests
        self.context = dict(page_context, url=self._url, cite=self._cite, topic_slot=Markup(TOPIC),
                            cited_source=self._source)
        self._this_build: dict[tuple, tuple[str, frozenset]] = {}     # topic lines and source names
        self._modules: dict[str, tuple[object, frozenset]] = {}   # partial -> its module, the templates it loaded
        store.settle(digests)   # the fact fragments kept from here on hold in this build
        self._outputs: dict[str, bytes] = {}    # fact id -> the hash of its kept fragment (stale())
        self._cited: list[Citation] = []

    def _url(self, target) -> Markup:
        if not isinstance(target, str):
            self.recorder.read(target, "path")
            target = target.path
        return root_relative(target)

    def _cite(self, citation: Citation) -> Markup:
        self._cited.append(citation)
        return Markup(MARKER)

    def fact_entry(self, fact: Fact) -> tuple[list, dict, bytes | None]:
        """The fact's fragment: its HTML split at its tokens (strings, then for each marker the index of its
        citation in fact.all_citations(), and None for the topic line), its record and the hash of the pieces.
        Rendered apart: the page showing it reads its output, ("fact-html", id)."""
        key = self.digests.whole(fact)
        entry = self.store.facts.get(key)
        if entry is None:
            self._cited = []
            html, deps = self._render("fact.html", "fact", fact, merge=False)
            deps = {key for key in deps if key[:2] != ("fact", fact.id)}   # the fact itself is the store's key
            index = {id(c): i for i, c in enumerate(fact.all_citations())}
            cited = [index[id(c)] for c in self._cited]
            entry = (split_pieces(html, cited), self.digests.record(deps), self.digests.output(f"{html}\0{cited}"))
            self.store.keep_fact(key, entry)
        return entry

    def stale(self, facts: list) -> list:
        """The facts whose fragment is not kept from an earlier build (or rendered already in this one); the
        output of those kept is noted by fact id, for the pages' ("fact-html", id) keys."""
        whole, stored, outputs = self.digests.whole, self.store.facts, self._outputs
        out = []
        for fact in facts:
            entry = stored.get(whole(fact))
            if entry is None:
                out.append(fact)
            else:
                outputs[fact.id] = entry[2]
        return out

    def adopt(self, fact: Fact, entry: tuple[list, dict, bytes | None]) -> None:
        """Keep a fact's fragment rendered by another process (fact_entry there: plain data)."""
        self.store.keep_fact(self.digests.whole(fact), entry)

    def fact_output(self, ident: str):
        """What ("fact-html", ident) is worth now: the hash of the fact's fragment, rendered if need be."""
        found = self._outputs.get(ident)
        if found is not None:
            return found
        fact = self.digests.objects.get(("fact", ident))
        if fact is None:
            return MISSING
        try:
            return self.fact_entry(fact)[2]
        except Exception:   # the page showing it renders again, and reports the template's error
            return UNKNOWN

    def fact_html(self, fact: Fact, refs, page_path: str, show_topic: bool) -> Markup:
        """The fact as one page shows it: its markers numbered by that page's references, the whole placed once."""
        self.recorder.whole(fact)
        self.recorder.note(("fact-html", fact.id, None))
        topic = self.topic_line(fact) if show_topic else ""
        cites = fact.all_citations()
        out = []
        for piece in self.fact_entry(fact)[0]:
            if piece.__class__ is str:
                out.append(piece)
            elif piece is None:
                out.append(topic)
            else:
                out.append(refs.marker_text(cites[piece]))
        return Markup(place("".join(out), page_path))

    def topic_line(self, fact: Fact) -> str:
        """The line naming the fact's topic; the page reads its output, ("topic-line", topic id)."""
        self.recorder.read(fact, "topic_id")
        self.recorder.note(("topic-line", fact.topic_id, None))
        return self._topic_line(fact.topic_id)

    def _topic_line(self, topic_id: str) -> str:
        entry = self._this_build.get(("topic", topic_id))
        if entry is None:   # rendered apart, once per build: what it read is in its output
            self.recorder.start()
            try:
                topic = self.context["look"].topics[topic_id]
            finally:
                self.recorder.stop(merge=False)
            entry = self._this_build[("topic", topic_id)] = self._render("fact.html", "topic_line", topic, merge=False)
        return entry[0]

    def topic_output(self, topic_id: str):
        """What ("topic-line", topic_id) is worth now."""
        try:
            return self.digests.output(self._topic_line(topic_id))
        except Exception:
            return UNKNOWN

    def quote_html(self, citation: Citation) -> str:
        return self._stored(b"quote", citation, "footnotes.html", "quote")

    def note_text(self, citation: Citation) -> str:
        """What a citation's marker opens: the quoted words, the article and its date, the link to the passage;
        its links still to be placed (place()), with the fact or marker that holds it."""
        return self._stored(b"note", citation, "footnotes.html", "note")

    def _stored(self, kind: bytes, citation: Citation, partial: str, macro: str) -> str:
        """A citation's fragment, kept across builds by the hash of the citation (its words and offsets)."""
        key = (kind, self.digests.value(citation))
        entry = self._valid(self.store.quotes, key)
        if entry is None:
            html, deps = self._render(partial, macro, citation)
            entry = self.store.quotes[key] = (html, self.digests.record(deps))
        return entry[0]

    def quotes_html(self, ref, page_path: str) -> Markup:
        """The quoted passages of one reference, one list item per use, lettered when there are several."""
        items = []
        for use in ref.uses:
            letter = f'<span class="letter">{use.letter}</span> ' if use.letter else ""
            items.append(f"        <li>{letter}{self.quote_html(use.citation)}</li>")
        return Markup(place("\n".join(items), page_path))

    def source_html(self, source, page_path: str) -> Markup:
        """A source as the reference lists name it, with its date."""
        return Markup(place(self._source_text(source), page_path))   # placed as a str: Markup.replace escapes

    def _source(self, source) -> Markup:
        """source_html() inside a fragment, which is placed on its page as a whole."""
        return Markup(self._source_text(source))

    def _source_text(self, source) -> str:
        return self._once(("source", source.id), "footnotes.html", "source", lambda: source)

    def reference_list(self, refs, page_path: str, render) -> tuple[bytes, bytes, dict]:
        """A page's reference list (`render()` makes it), its key and record: kept from the page's last render
        while its references are the same (numbers, letters, the hash of each citation) and its record holds."""
        value = self.digests.value
        key = hashlib.blake2b(repr([(r.number, r.source.id, [(u.marker_id, u.letter, value(u.citation))
                                                             for u in r.uses]) for r in refs.items()]).encode(),
                              digest_size=16).digest()
        kept = self.store.lists.get(page_path)
        if kept is not None and kept[0] == key and self.digests.still(kept[1]):
            self.recorder.add(kept[1])
            return bytes(kept[2]), key, kept[1]
        self.recorder.start()
        try:
            html = render()
        finally:
            deps = self.recorder.stop()
        return html.encode("utf-8"), key, self.digests.record(deps)

    def _valid(self, store: dict, key: bytes):
        """A stored fragment whose record still holds, its reads then counted as this page's; else None."""
        entry = store.get(key)
        if entry is not None and self.digests.still(entry[1]):
            self.recorder.add(entry[1])
            return entry
        return None

    def _once(self, key: tuple, partial: str, macro: str, item) -> str:
        """A fragment rendered once per build (topic lines, source names); its reads replayed on every use."""
        entry = self._this_build.get(key)
        if entry is None:  # what finding the item read counts too, on every page that replays the fragment
            self.recorder.start()
            found = item()
            picked = self.recorder.stop()
            html, deps = self._render(partial, macro, found)
            entry = self._this_build[key] = (html, deps | picked)
        else:
            self.recorder.add(entry[1])
        return entry[0]

    def _render(self, partial: str, macro: str, item, merge: bool = True) -> tuple[str, frozenset]:
        """A macro of partials/`partial` applied to `item`, and the keys it read (the templates its module loaded
        included); `merge`: the page rendering now read them too."""
        if partial not in self._modules:   # made once per build: what loading it read, every fragment read
            self.recorder.start()
            try:
                module = self.env.get_template(f"partials/{partial}").make_module(self.context)
            finally:
                loaded = self.recorder.stop(merge=False)
            self._modules[partial] = (module, loaded)
        module, loaded = self._modules[partial]
        self.recorder.start()
        self.recorder.add(loaded)
        try:
            html = str(getattr(module, macro)(item))
        except Exception:  # as Template.render does: the traceback then gives template lines, not Python's
            self.recorder.stop(merge)
            self.env.handle_exception()
        return html, self.recorder.stop(merge)


def split_pieces(html: str, marker_citations: list[int]) -> list:
    """A fact's HTML cut at its tokens: strings, a citation index per marker, None where the topic line goes."""
    cited = iter(marker_citations)
    pieces: list = []
    for i, part in enumerate(html.split(MARKER)):
        if i:
            pieces.append(next(cited))
        before, topic, after = part.partition(TOPIC)
        pieces.append(before)
        if topic:
            pieces += [None, after]
    return pieces


def place(html: str, page_path: str) -> str:
    """A fragment's links made relative to one page, as urls.relative_url() makes them: a link to a place on
    the page itself is just its #anchor, every other goes up to the root ("../" per folder) and down."""
    here = ROOT + page_url(page_path) + "#"
    return html.replace(here, "#").replace(ROOT, "../" * page_path.count("/"))


def root_relative(target: str) -> Markup:
    """A link in a fragment: the root token, then the target's pretty URL (the page puts its own "../" in)."""
    path, hash_, anchor = target.partition("#")
    return Markup(ROOT + str(escape(page_url(path) + hash_ + anchor)))   # one string, not three Markup objects
