"""Stage 3, resolve citations: find each quote in its article, record its offsets and paragraph, and say how a
quote that is not there differs from the closest passage (quotediff)."""
from __future__ import annotations

import bisect
import hashlib
import re

from .model import Citation, Error, Site, Source
from .validate import PARTS


WHITESPACE = re.compile(r"\s+")


def flatten(text: str) -> str:
    """Every run of white space as one space: how quotes and articles are compared."""
    return WHITESPACE.sub(" ", text)


class FlatText:
    """An article with white space flattened, mapping positions back to the original text.
    Quotes are found with str.find on this, once per article, not with a regex per quote."""

    def __init__(self, text: str):
        self.flat = flatten(text)
        self.run_at: list[int] = []     # flat position of each flattened run
        self.removed: list[int] = []    # characters removed up to and including that run
        total = 0
        for m in WHITESPACE.finditer(text):
            if m.end() - m.start() > 1:
                self.run_at.append(m.start() - total)
                total += m.end() - m.start() - 1
                self.removed.append(total)

    def original(self, i: int) -> int:
        """The offset in the original text of the non-space character at flat position i."""
        k = bisect.bisect_left(self.run_at, i)
        return i + (self.removed[k - 1] if k else 0)

    def find_all(self, quote: str):
        wanted = flatten(quote).strip()
        at = self.flat.find(wanted)
        while at >= 0 and wanted:
            yield self.original(at), self.original(at + len(wanted) - 1) + 1
            at = self.flat.find(wanted, at + 1)


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def locate(quote: str, source: Source, flat: FlatText, starts: list[int]) -> tuple[int, int] | None:
    """Offsets of the quote in the seed: the first match inside the article body, else the first anywhere."""
    first_line, last_line = source.body
    found = None
    for start, end in flat.find_all(quote):
        if first_line <= bisect.bisect_right(starts, start) <= last_line:
            return start, end
        found = found or (start, end)
    return found


class Articles:
    """The articles of one build, as resolving quotes needs them: each one's key (a hash of its text and body
    lines), line starts and flattened text, made when first needed. `kept` holds the keys of an earlier build's
    articles by object, so that an article loaded again unchanged (the same object) is not hashed again."""

    def __init__(self, sources: list[Source], kept: dict | None = None):
        self.sources = sources
        self.by_id = {s.id: s for s in sources}
        self.kept = {} if kept is None else kept    # id(source) -> (source, key)
        self.starts: dict[str, list[int]] = {}
        self.flats: dict[str, FlatText] = {}   # built for an article when a quote first needs it

    def key(self, source: Source) -> bytes:
        entry = self.kept.get(id(source))
        if entry is None or entry[0] is not source:
            entry = self.kept[id(source)] = (source, hashlib.blake2b(source.text.encode("utf-8"), digest_size=16)
                                             .digest() + repr(source.body).encode())
        return entry[1]

    def digest(self) -> bytes:
        """A hash of every article (id, file, text, body), in order: whatever resolving a quote reads of them."""
        return hashlib.blake2b(repr([(s.id, s.seed, self.key(s)) for s in self.sources]).encode(),
                               digest_size=16).digest()

    def lines(self, source: Source) -> list[int]:
        """Where each line of the article starts."""
        if source.id not in self.starts:
            self.starts[source.id] = line_starts(source.text)
        return self.starts[source.id]

    def flat(self, source: Source) -> FlatText:
        if source.id not in self.flats:
            self.flats[source.id] = FlatText(source.text)
        return self.flats[source.id]


def resolve_citations(site: Site, known: dict | None = None, table: dict | None = None) -> list[Error]:
    """Set start, end and paragraph of every citation; one error per quote that is not in its article."""
    return resolve(site.citations(), Articles(site.sources), known, table)


def resolve(citations: list[Citation], articles: Articles, known: dict | None = None,
            table: dict | None = None) -> list[Error]:
    """Set start, end and paragraph of these citations; one error per quote that is not in its article.

    `known` is an earlier call's `table`: where each quote was found, by the hash of its article's text and body
    lines and the quote itself, so an article that changes (or changes back) is searched again. `table` is filled
    with this call's own finds."""
    known = known or {}
    table = {} if table is None else table
    errors = []
    for cite in citations:
        source = articles.by_id.get(cite.source_id)
        cite.start = cite.end = -1
        cite.paragraph = 0
        if source is None:
            continue  # reported by validate()
        key = (articles.key(source), cite.quote)
        found = table.get(key) or known.get(key)
        if found is None:
            at = locate(cite.quote, source, articles.flat(source), articles.lines(source))
            if at is None:
                errors.append(not_found(cite, source, articles))
                continue
            found = (at[0], at[1], bisect.bisect_right(articles.lines(source), at[0]))
        table[key] = found
        cite.start, cite.end, cite.paragraph = found
        error = outside_body(cite, source, len(articles.lines(source)))
        if error:
            errors.append(error)
    return errors


def outside_body(cite: Citation, source: Source, line_count: int) -> Error | None:
    """The evidence is the article: a quote lies within its body lines, or says which other part it quotes."""
    first, last = source.body
    if not 1 <= first <= last <= line_count:
        return None   # validate() reports the body itself
    in_body = first <= cite.paragraph <= last
    if in_body and cite.part in PARTS:   # an unknown part is validate()'s error
        return cite.at("part").error(f"quote is in the body of {source.id} (lines {first}-{last}), not its "
                                     f"{cite.part}: remove 'part'")
    if not in_body and not cite.part:
        return cite.at("quote").error(f"quote is outside the body of {source.id} (line {cite.paragraph}, body is "
                                      f"lines {first}-{last}): quote the article, or say which part this is with "
                                      "'part:'")
    return None


def not_found(cite: Citation, source: Source, articles: Articles) -> Error:
    """At the quote's own line: the article that has the quote word for word when it is another one (a source id
    copied from the citation above), else the closest passage with the words that differ marked, and why."""
    for other in articles.sources:
        if other.id != source.id:
            at = next(articles.flat(other).find_all(cite.quote), None)
            if at:
                line = other.text.count("\n", 0, at[0]) + 1
                return cite.at("quote").error(f"quote not found in {source.id}, but it is in {other.id} "
                                              f"(seeds/{other.seed} line {line}): cite source '{other.id}'")
    from .quotediff import difference   # only a quote not found needs it, and its import is a tenth of a build's

    return cite.at("quote").marked([("", f"quote not found in {source.id}")]
                                   + difference(cite.quote, source.text, source.seed))
