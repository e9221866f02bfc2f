"""Facts and quoted passages rendered once through their partials, then placed on every page that shows them.

A fact appears on its topic page, the timeline, the pages of the entities it names and the disagreements page;
its HTML is the same everywhere except for three things each page fills in: the numbers of its citation markers
(pages number their references in their own order), the way up to the site root ("../" per folder) and, on pages
that mix topics, a line naming its topic. A fragment keeps tokens for those three, so each fact is rendered once per
build, and once per edit in the preview, where fragments of unchanged facts are kept between builds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jinja2
from markupsafe import Markup, escape

from .model import Citation, Fact
from .urls import page_url

# Content is always escaped, so a raw "<" followed by NUL can come only from these tokens.
ROOT = "<\x00root>"       # the way up to the site root, "../" per folder of the page
TOPIC = "<\x00topic>"     # the fact's topic line, or nothing on the topic's own page
MARKER = "<\x00marker>"   # the next citation marker of the fact, numbered by the page


@dataclass
class FragmentCache:
    """Rendered fragments, kept by the preview from one build to the next while they stay valid."""
    facts: dict[int, tuple[Fact, list]] = field(default_factory=dict)       # id(fact) -> (fact, pieces)
    quotes: dict[int, tuple[Citation, str]] = field(default_factory=dict)   # id(citation) -> (citation, html)

    def forget_except(self, facts: list[Fact]) -> None:
        """Drop the fragments of facts (and citations) no longer in the site, once they are a third of the cache:
        the cache does not grow without end, and most edits do not pay for a sweep."""
        if len(self.facts) <= 1.5 * len(facts):
            return
        alive = {id(f) for f in facts}
        self.facts = {k: v for k, v in self.facts.items() if k in alive}
        cited = {id(c) for f in facts for c in f.all_citations()}
        self.quotes = {k: v for k, v in self.quotes.items() if k in cited}


class Fragments:
    """Renders fragments on first use during one build, keeping them in `cache`."""

    def __init__(self, env: jinja2.Environment, page_context: dict, cache: FragmentCache):
        self.env = env
        self.context = dict(page_context, url=root_relative, cite=self._cite, topic_slot=Markup(TOPIC))
        self.facts, self.quotes = cache.facts, cache.quotes
        self.topic_lines: dict[int, tuple] = {}     # id(topic) -> (topic, html), for this build only
        self.sources: dict[int, tuple] = {}         # id(source) -> (source, html), likewise
        self.notes: dict[int, tuple] = {}           # id(citation) -> (citation, html) of its marker's popover
        self._modules: dict[str, object] = {}
        self._cited: list[Citation] = []

    def _cite(self, citation: Citation) -> Markup:
        self._cited.append(citation)
        return Markup(MARKER)

    def fact_pieces(self, fact: Fact) -> list:
        """The fact's HTML split at its tokens: strings, then a Citation for each marker and None for the topic."""
        entry = self.facts.get(id(fact))
        if entry is not None and entry[0] is fact:
            return entry[1]
        self._cited = []
        html = self._once({}, fact, "fact.html", "fact")
        cited = iter(self._cited)
        pieces: list = []
        for i, part in enumerate(html.split(MARKER)):
            if i:
                pieces.append(next(cited))
            before, topic, after = part.partition(TOPIC)
            pieces.append(before)
            if topic:
                pieces += [None, after]
        self.facts[id(fact)] = (fact, pieces)
        return pieces

    def portable(self, fact: Fact) -> tuple[list, list[str]]:
        """The fact's fragments (its own, and one per quote) in a form that can go to another process: each
        marker's citation as its index in fact.all_citations()."""
        index = {id(c): i for i, c in enumerate(fact.all_citations())}
        pieces = [index[id(p)] if isinstance(p, Citation) else p for p in self.fact_pieces(fact)]
        return pieces, [self._once(self.quotes, c, "footnotes.html", "quote") for c in fact.all_citations()]

    def adopt(self, fact: Fact, portable: tuple[list, list[str]]) -> None:
        """Keep fragments another process rendered with portable()."""
        pieces, quotes = portable
        cites = fact.all_citations()
        self.facts[id(fact)] = (fact, [cites[p] if isinstance(p, int) else p for p in pieces])
        for c, html in zip(cites, quotes):
            self.quotes[id(c)] = (c, html)

    def fact_html(self, fact: Fact, refs, page_path: str, show_topic: bool) -> Markup:
        """The fact as one page shows it: its markers numbered by that page's references."""
        topic = self.topic_line(fact.topic_id) if show_topic else ""
        out = []
        for piece in self.fact_pieces(fact):
            if piece.__class__ is str:
                out.append(piece)
            elif piece is None:
                out.append(topic)
            else:
                out.append(refs.marker_text(piece))
        return Markup(place("".join(out), page_path))

    def topic_line(self, topic_id: str) -> str:
        return self._once(self.topic_lines, self.context["look"].topics[topic_id], "fact.html", "topic_line")

    def quotes_html(self, ref, page_path: str) -> Markup:
        """The quoted passages of one reference, one list item per use, lettered when there are several."""
        items = []
        for use in ref.uses:
            letter = f'<span class="letter">{use.letter}</span> ' if use.letter else ""
            items.append(f"        <li>{letter}{self._once(self.quotes, use.citation, 'footnotes.html', 'quote')}</li>")
        return Markup(place("\n".join(items), page_path))

    def source_html(self, source, page_path: str) -> Markup:
        """A source as the reference lists name it, with its date."""
        return Markup(place(self._once(self.sources, source, "footnotes.html", "source"), page_path))

    def note_html(self, citation: Citation, page_path: str) -> str:
        """What a citation's marker opens: the quoted words, the article and its date, the link to the passage."""
        return place(self._once(self.notes, citation, "footnotes.html", "note"), page_path)

    def _once(self, store: dict, item, partial: str, macro: str) -> str:
        """A macro of partials/`partial` applied to `item`, rendered the first time only."""
        entry = store.get(id(item))
        if entry is None or entry[0] is not item:
            if partial not in self._modules:
                self._modules[partial] = self.env.get_template(f"partials/{partial}").make_module(self.context)
            try:
                entry = (item, str(getattr(self._modules[partial], macro)(item)))
            except Exception:  # as Template.render does: the traceback then gives template lines, not Python's
                self.env.handle_exception()
            store[id(item)] = entry
        return entry[1]


def place(html: str, page_path: str) -> str:
    """A fragment's links made relative to one page, as render.relative_url() makes them: a link to a place on
    the page itself is just its #anchor, every other goes up to the root ("../" per folder) and down."""
    here = ROOT + page_url(page_path) + "#"
    return html.replace(here, "#").replace(ROOT, "../" * page_path.count("/"))


def root_relative(target: str) -> Markup:
    """A link in a fragment: the root token, then the target's pretty URL (the page puts its own "../" in)."""
    path, hash_, anchor = target.partition("#")
    return Markup(ROOT) + escape(page_url(path) + hash_ + anchor)
