"""An article as readers see it on its source page: paragraph by paragraph, furniture set apart, every quoted
span in a <mark> with an id, followed by links to what cites it; in the preview, also the sentences no quote
touches and each piece's place in the seed (workbench.py)."""
from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from .citations import line_starts
from .model import Source
from .text import isolate_latin

# A sentence ends at . ! ? or ؟, with any closing quotation mark or bracket, before white space; and at every line
# break of the article (its paragraphs and its broken lines alike). "أ. دارشييف" is cut after the initial: rare in
# the articles, and a cut too many only makes two short sentences where there is one.
SENTENCE_END = re.compile(r"[.!?؟][\"'”’»)\]]*(?=\s)")


@dataclass
class Span:
    start: int
    end: int
    anchor: str
    citers: list            # (label, url target, title) of each fact or entity citing it


@dataclass
class Paragraph:
    line: int
    html: Markup
    in_body: bool
    cited: bool

    @property
    def anchor(self) -> str:
        return f"p-{self.line}"


def read_article(source: Source, look, recorder) -> list:
    """The facts and entities citing the article, each noted as read whole with the article itself: what they
    quote, and where, is theirs."""
    recorder.whole(source)
    citers = look.citers.get(source.id, [])
    for item in citers:
        recorder.whole(item)
    return citers


def spans_of(source: Source, look) -> list[Span]:
    by_offsets: dict[tuple[int, int], Span] = {}
    for number, (item, cites) in enumerate(look.tables["citing"].get(source.id, []), 1):
        for c in cites:
            if c.start < 0:
                continue
            span = by_offsets.setdefault((c.start, c.end), Span(c.start, c.end, c.anchor, []))
            if not any(n == number for n, _ in span.citers):
                span.citers.append((number, item))
    return sorted(by_offsets.values(), key=lambda s: (s.start, s.end))


def source_paragraphs(source: Source, look, url, recorder, preview: bool = False) -> list[Paragraph]:
    """Every non-empty line of the article (or, in excerpt mode, the cited sentences), highlighted. In the preview,
    each piece of the body carries its offset in the seed (data-at), and the sentences no quote touches are marked."""
    read_article(source, look, recorder)
    spans = spans_of(source, look)
    starts = line_starts(source.text)
    first, last = source.body
    excerpts = look.site.config.source_text == "excerpts"
    workbench = preview and not excerpts
    bare = {}
    if workbench:
        for line, a, b in uncited_sentences(source, [(s.start, s.end) for s in spans]):
            bare.setdefault(line, []).append((a, b))
    out = []
    for number, line in enumerate(source.lines(), 1):
        if not line.strip():
            continue
        begin, end = starts[number - 1], starts[number - 1] + len(line)
        mine = [s for s in spans if s.start < end and s.end > begin]
        if excerpts and not mine:
            continue
        in_body = first <= number <= last
        pieces = cited_sentences(line, begin, mine) if excerpts else [(begin, end)]
        html = Markup(" … ").join(highlight(source.text, a, b, mine, look, url, bare.get(number, []),
                                            workbench and in_body) for a, b in pieces)
        out.append(Paragraph(number, html, in_body, bool(mine)))
    return out


def sentences(line: str, begin: int) -> list[tuple[int, int]]:
    """The (start, end) in the seed of each sentence of one line that starts at `begin`, without the white space
    around it."""
    cuts = [0] + [m.end() for m in SENTENCE_END.finditer(line)] + [len(line)]
    out = []
    for a, b in zip(cuts, cuts[1:]):
        text = line[a:b]
        if text.strip():
            a += len(text) - len(text.lstrip())
            b -= len(text) - len(text.rstrip())
            out.append((begin + a, begin + b))
    return out


def quoted_spans(site) -> dict[str, list[tuple[int, int]]]:
    """source id -> the (start, end) of every passage of it a fact or entity quotes, in order, each once."""
    found: dict[str, set] = {}
    for c in site.citations():
        if c.start >= 0:
            found.setdefault(c.source_id, set()).add((c.start, c.end))
    return {source_id: sorted(spans) for source_id, spans in found.items()}


def uncited_sentences(source: Source, spans: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(line, start, end) of every sentence of the article's body that no quote (start, end) overlaps: what the
    preview marks and lists, and `build.py stats` prints."""
    spans = sorted(spans)
    starts = [a for a, _ in spans]
    reach = list(itertools.accumulate((b for _, b in spans), max))     # the furthest end of the spans so far
    first, last = source.body
    lines, line_at = source.lines(), line_starts(source.text)
    out = []
    for number in range(first, min(last, len(lines)) + 1):
        for a, b in sentences(lines[number - 1], line_at[number - 1]):
            before = bisect.bisect_left(starts, b)     # the spans starting before the sentence ends
            if not before or reach[before - 1] <= a:
                out.append((number, a, b))
    return out


def cited_sentences(line: str, begin: int, spans: list[Span]) -> list[tuple[int, int]]:
    """The (start, end) of each sentence of the line that a span touches, grown to whole spans; sentences with only
    white space between them are merged."""
    line_end = begin + len(line)
    pieces: list[tuple[int, int]] = []
    for a, b in sentences(line, begin):
        touching = [s for s in spans if s.start < b and s.end > a]
        if not touching:
            continue
        a = min([a] + [max(s.start, begin) for s in touching])
        b = max([b] + [min(s.end, line_end) for s in touching])
        if pieces and not line[pieces[-1][1] - begin:a - begin].strip():
            pieces[-1] = (pieces[-1][0], max(b, pieces[-1][1]))
        else:
            pieces.append((a, b))
    return pieces


def highlight(text: str, a: int, b: int, spans: list[Span], look, url, bare=(), offsets: bool = False) -> Markup:
    """text[a:b] with each span in a <mark>; the span's id sits on its first piece, its citers after its last.
    Each sentence of `bare` (no span touches it) is a <span class="uncited">; with `offsets`, every piece is in an
    element whose data-at is where it starts in the seed."""
    cuts = sorted({a, b} | {min(max(x, a), b) for s in spans for x in (s.start, s.end)}
                  | {x for pair in bare for x in pair if a <= x <= b})
    bare = set(bare)
    out = []  # plain strings, each escaped once: Markup's own operators escape every piece again
    for x, y in zip(cuts, cuts[1:]):
        covering = [s for s in spans if s.start <= x and s.end >= y]
        out.append(_piece(isolate_latin(text[x:y]), x, y, covering, (x, y) in bare, offsets))
        ending = {n: item for s in spans if s.end == y <= b for n, item in s.citers}
        if ending:  # spans ending together share one list, each citing fact or entity named once
            out.append(citer_links(sorted(ending.items(), key=lambda pair: pair[0]), look, url))
    return Markup("".join(out))


def _piece(escaped: str, x: int, y: int, covering: list[Span], uncited: bool, offsets: bool) -> str:
    """text[x:y] (escaped) in its element: a <mark> when spans cover it, an uncited sentence's <span>, or bare."""
    at = f' data-at="{x}"' if offsets else ""
    if covering:
        ids = [s.anchor for s in covering if s.start == x]   # "q-START-END": nothing to escape
        attr = f' id="{ids[0]}"' if ids else ""
        extra = "".join(f'<span id="{i}"></span>' for i in ids[1:])
        return f"{extra}<mark{attr}{at}>{escaped}</mark>"
    if uncited:
        return f'<span class="uncited" id="{uncited_anchor(x, y)}"{at}>{escaped}</span>'
    return f"<span{at}>{escaped}</span>" if offsets else escaped


def uncited_anchor(start: int, end: int) -> str:
    return f"u-{start}-{end}"


def citer_links(citers: list, look, url) -> str:
    links = "".join(f'<a href="{escape(url(item))}" title="{escape(citer_title(item))}">'
                    f'{escape(look.fmt.digits(n))}</a>' for n, item in citers)
    return f'<sup class="cited-by">{links}</sup>'


def citer_title(item) -> str:
    """A fact's text or an entity's name, on one line."""
    return item.name if hasattr(item, "kind") else " ".join(item.text.split())
