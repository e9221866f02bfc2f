"""An article as readers see it on its source page: paragraph by paragraph, furniture set apart, every quoted
span in a <mark> with an id, followed by links to what cites it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from .citations import line_starts
from .model import Source
from .text import isolate_latin

SENTENCE_END = re.compile(r"[.!?؟]\s+")


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


def source_paragraphs(source: Source, look, url, recorder) -> list[Paragraph]:
    """Every non-empty line of the article (or, in excerpt mode, the cited sentences), highlighted."""
    recorder.whole(source)
    for item in look.citers.get(source.id, []):   # which facts and entities cite it: what, and where, is theirs
        recorder.whole(item)
    spans = spans_of(source, look)
    starts = line_starts(source.text)
    first, last = source.body
    excerpts = look.site.config.source_text == "excerpts"
    out = []
    for number, line in enumerate(source.lines(), 1):
        if not line.strip():
            continue
        begin, end = starts[number - 1], starts[number - 1] + len(line)
        mine = [s for s in spans if s.start < end and s.end > begin]
        if excerpts and not mine:
            continue
        pieces = cited_sentences(line, begin, mine) if excerpts else [(begin, end)]
        html = Markup(" … ").join(highlight(source.text, a, b, mine, look, url) for a, b in pieces)
        out.append(Paragraph(number, html, first <= number <= last, bool(mine)))
    return out


def cited_sentences(line: str, begin: int, spans: list[Span]) -> list[tuple[int, int]]:
    """The (start, end) of each sentence of the line that a span touches, grown to whole spans and merged."""
    line_end = begin + len(line)
    bounds = [begin] + [begin + m.end() for m in SENTENCE_END.finditer(line)] + [line_end]
    pieces: list[tuple[int, int]] = []
    for a, b in zip(bounds, bounds[1:]):
        touching = [s for s in spans if s.start < b and s.end > a]
        if not touching:
            continue
        a = min([a] + [max(s.start, begin) for s in touching])
        b = max([b] + [min(s.end, line_end) for s in touching])
        if pieces and pieces[-1][1] >= a:
            pieces[-1] = (pieces[-1][0], max(b, pieces[-1][1]))
        else:
            pieces.append((a, b))
    return pieces


def highlight(text: str, a: int, b: int, spans: list[Span], look, url) -> Markup:
    """text[a:b] with each span in a <mark>; the span's id sits on its first piece, its citers after its last."""
    cuts = sorted({a, b} | {min(max(x, a), b) for s in spans for x in (s.start, s.end)})
    out = []  # plain strings, each escaped once: Markup's own operators escape every piece again
    for x, y in zip(cuts, cuts[1:]):
        covering = [s for s in spans if s.start <= x and s.end >= y]
        piece = isolate_latin(text[x:y])
        if covering:
            ids = [s.anchor for s in covering if s.start == x]   # "q-START-END": nothing to escape
            attr = f' id="{ids[0]}"' if ids else ""
            extra = "".join(f'<span id="{i}"></span>' for i in ids[1:])
            piece = f"{extra}<mark{attr}>{piece}</mark>"
        out.append(piece)
        ending = {n: item for s in spans if s.end == y <= b for n, item in s.citers}
        if ending:  # spans ending together share one list, each citing fact or entity named once
            out.append(citer_links(sorted(ending.items(), key=lambda pair: pair[0]), look, url))
    return Markup("".join(out))


def citer_links(citers: list, look, url) -> str:
    links = "".join(f'<a href="{escape(url(item))}" title="{escape(_title(item))}">'
                    f'{escape(look.fmt.digits(n))}</a>' for n, item in citers)
    return f'<sup class="cited-by">{links}</sup>'


def _title(item) -> str:
    return item.name if hasattr(item, "kind") else " ".join(item.text.split())
