"""Stage 3, resolve citations: find each quote in its article, record its offsets and paragraph, and name the
closest passage when a quote is not there."""
from __future__ import annotations

import bisect
import difflib
import re

from .model import Citation, Error, Site, Source


def quote_pattern(quote: str) -> re.Pattern:
    """The quote as a regex in which any run of white space matches any other run."""
    return re.compile(r"\s+".join(re.escape(word) for word in quote.split()))


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def locate(quote: str, source: Source, starts: list[int]) -> tuple[int, int] | None:
    """Offsets of the quote in the seed: the first match inside the article body, else the first anywhere."""
    matches = [(m.start(), m.end()) for m in quote_pattern(quote).finditer(source.text)]
    first_line, last_line = source.body
    for start, end in matches:
        if first_line <= bisect.bisect_right(starts, start) <= last_line:
            return start, end
    return matches[0] if matches else None


def closest_passage(quote: str, source: Source) -> tuple[int, str]:
    """The seed line and passage most like the quote, for the editor to copy from."""
    wanted = " ".join(quote.split())
    best = (0.0, 1, "")
    for number, line in enumerate(source.lines(), 1):
        line = " ".join(line.split())
        if not line:
            continue
        matcher = difflib.SequenceMatcher(None, wanted, line, autojunk=False)
        block = matcher.find_longest_match(0, len(wanted), 0, len(line))
        begin = max(0, block.b - block.a)
        window = line[begin:begin + len(wanted)]
        # widen to whole words so the hint can be copied as it stands
        while begin > 0 and not line[begin - 1].isspace():
            begin -= 1
        end = begin + len(window)
        while end < len(line) and not line[end].isspace():
            end += 1
        window = line[begin:end]
        score = difflib.SequenceMatcher(None, wanted, window, autojunk=False).ratio()
        if score > best[0]:
            best = (score, number, window)
    return best[1], best[2]


def resolve_citations(site: Site) -> list[Error]:
    """Fill in start, end and paragraph of every citation; one error per quote that is not in its article."""
    sources = {s.id: s for s in site.sources}
    starts = {s.id: line_starts(s.text) for s in site.sources}
    errors = []
    for cite in site.citations():
        source = sources.get(cite.source_id)
        if source is None:
            continue  # reported by validate()
        found = locate(cite.quote, source, starts[source.id])
        if found is None:
            errors.append(not_found(cite, source))
            continue
        cite.start, cite.end = found
        cite.paragraph = bisect.bisect_right(starts[source.id], cite.start)
    return errors


def not_found(cite: Citation, source: Source) -> Error:
    line, passage = closest_passage(cite.quote, source)
    hint = f"; closest passage (seeds/{source.seed} line {line}): «{passage}»" if passage else ""
    return cite.where.error(f"quote not found in {source.id}{hint}")
