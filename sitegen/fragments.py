"""Facts and quoted passages rendered once through their partials, then placed on every page that shows them.

A fact appears on its topic page, the timeline, the pages of the entities it names and the disagreements page;
its HTML is the same everywhere except for three things each page fills in: the numbers of its citation markers
(pages number their references in their own order), the way up to the site root ("../" per folder) and, on pages
that mix topics, a line naming its topic. A fragment keeps tokens for those three.

Fragments are stored by the hash of what they show (the fact, the citation) with the keys they read while
rendering (deps.py), so the preview keeps them from one build to the next exactly while they are still right.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import jinja2
from markupsafe import Markup, escape

from .deps import Digests, Recorder
from .model import Citation, Fact
from .urls import page_url

# Content is always escaped, so a raw "<" followed by NUL can come only from these tokens.
ROOT = "<\x00root>"       # the way up to the site root, "../" per folder of the page
TOPIC = "<\x00topic>"     # the fact's topic line, or nothing on the topic's own page
MARKER = "<\x00marker>"   # the next citation marker of the fact, numbered by the page


@dataclass
class FragmentStore:
    """Rendered fragments by content hash, each with the record of what it read: {key: digest}."""
    facts: dict[bytes, tuple[list, dict]] = field(default_factory=dict)   # pieces: str, int (marker), None (topic)
    quotes: dict[tuple, tuple[str, dict]] = field(default_factory=dict)     # a quote and a note per citation
    # page path -> (the hash of its references, record, the list's bytes: a view into the page as written)
    lists: dict[str, tuple[bytes, dict, memoryview]] = field(default_factory=dict)

    live: tuple[int, int] = (0, 0)  # how many facts and citations the site had when last counted

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
        self._modules: dict[str, object] = {}
        self._cited: list[Citation] = []

    def _url(self, target) -> Markup:
        if not isinstance(target, str):
            self.recorder.read(target, "path")
            target = target.path
        return root_relative(target)

    def _cite(self, citation: Citation) -> Markup:
        self._cited.append(citation)
        return Markup(MARKER)

    def fact_pieces(self, fact: Fact) -> list:
        """The fact's HTML split at its tokens: strings, then for each marker the index of its citation in
        fact.all_citations(), and None for the topic line."""
        key = self.digests.whole(fact)
        entry = self._valid(self.store.facts, key)
        if entry is None:
            self._cited = []
            html, deps = self._render("fact.html", "fact", fact)
            deps = {key for key in deps if key[:2] != ("fact", fact.id)}   # the fact itself is the store's key
            index = {id(c): i for i, c in enumerate(fact.all_citations())}
            entry = self.store.facts[key] = (split_pieces(html, [index[id(c)] for c in self._cited]),
                                             self.digests.record(deps))
        return entry[0]

    def portable(self, fact: Fact) -> tuple[list, dict]:
        """The fact's pieces and record, to hand from a forked process to the other (both are plain data)."""
        self.fact_pieces(fact)
        return self.store.facts[self.digests.whole(fact)]

    def adopt(self, fact: Fact, entry: tuple[list, dict]) -> None:
        """Keep a fact's pieces and record rendered by another process."""
        self.store.facts[self.digests.whole(fact)] = entry

    def fact_html(self, fact: Fact, refs, page_path: str, show_topic: bool) -> Markup:
        """The fact as one page shows it: its markers numbered by that page's references."""
        self.recorder.whole(fact)
        topic = self.topic_line(fact) if show_topic else ""
        cites = fact.all_citations()
        out = []
        for piece in self.fact_pieces(fact):
            if piece.__class__ is str:
                out.append(piece)
            elif piece is None:
                out.append(topic)
            else:
                out.append(refs.marker_text(cites[piece]))
        return Markup(place("".join(out), page_path))

    def topic_line(self, fact: Fact) -> str:
        self.recorder.read(fact, "topic_id")
        return self._once(("topic", fact.topic_id), "fact.html", "topic_line",
                          lambda: self.context["look"].topics[fact.topic_id])

    def quote_html(self, citation: Citation) -> str:
        return self._stored(b"quote", citation, "footnotes.html", "quote")

    def note_html(self, citation: Citation, page_path: str) -> str:
        """What a citation's marker opens: the quoted words, the article and its date, the link to the passage."""
        return place(self._stored(b"note", citation, "footnotes.html", "note"), page_path)

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
        return Markup(place(self._source(source), page_path))

    def _source(self, source) -> Markup:
        """source_html() inside a fragment, which is placed on its page as a whole."""
        return Markup(self._once(("source", source.id), "footnotes.html", "source", lambda: source))

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

    def _render(self, partial: str, macro: str, item) -> tuple[str, frozenset]:
        """A macro of partials/`partial` applied to `item`, and the keys it read."""
        if partial not in self._modules:
            self._modules[partial] = self.env.get_template(f"partials/{partial}").make_module(self.context)
        self.recorder.start()
        try:
            html = str(getattr(self._modules[partial], macro)(item))
        except Exception:  # as Template.render does: the traceback then gives template lines, not Python's
            self.recorder.stop()
            self.env.handle_exception()
        return html, self.recorder.stop()


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
    return Markup(ROOT) + escape(page_url(path) + hash_ + anchor)
