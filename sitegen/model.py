"""The data that flows between the pipeline stages: plain dataclasses, no behaviour beyond small helpers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .urls import numbered, path_of


# How a part of a message that marks words is written as plain text (git's --word-diff=plain): the same on a
# terminal, in a log and in the preview, which marks them up instead. A "passage" part holds parts of its own.
MARKS = {"quote": ("[-", "-]"), "article": ("{+", "+}"), "passage": ("«", "»")}


def plain(parts) -> str:
    """A message from its (kind, text) parts: "" and "same" as they are, the others between their marks."""
    out = []
    for kind, text in parts:
        start, end = MARKS.get(kind, ("", ""))
        out += [start, plain(text) if kind == "passage" else text, end]
    return "".join(out)


@dataclass(frozen=True, order=True)
class Error:
    """One thing an editor must fix: a project-relative path, a 1-based line (0 when unknown) and a message.
    `parts` is the message again as (kind, text) pieces when it marks words (a quote against the article's
    passage, see MARKS and quotediff.difference), for the preview to show them marked; () when it marks none."""
    path: str
    line: int
    message: str
    parts: tuple = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


# What a terminal takes as commands or reorders: C0 (ESC starts every ANSI sequence), DEL, C1 (CSI is \x9b),
# the line and paragraph separators, and the bidirectional embeddings, overrides and isolates.
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal(text: str) -> str:
    """`text` with every character a terminal would act on written as a Python escape (\\x1b, \\u202e): one line,
    whatever a file's content or name holds."""
    return UNSAFE.sub(lambda match: repr(match.group())[1:-1], text)


@dataclass(frozen=True)
class Where:
    """Where something was written: the file (project-relative) and line, for error messages."""
    path: str
    line: int

    def error(self, message: str) -> Error:
        return Error(self.path, self.line, message)

    def marked(self, parts) -> Error:
        """An error whose message marks words: written plainly, and kept in parts."""
        parts = tuple(parts)
        return Error(self.path, self.line, plain(parts), parts)


@dataclass
class DateValue:
    value: str                  # "2025", "2025-02" or "2025-02-27"
    inferred: str = ""          # the reasoning when the article does not state the date


@dataclass
class Citation:
    source_id: str
    quote: str
    where: Where = field(compare=False)  # for error messages only, not content
    # Filled in by resolve_citations():
    start: int = -1             # character offsets into the seed text (code points)
    end: int = -1
    paragraph: int = 0          # the seed line (1-based) holding the start of the quote
    part: str = ""              # the part of the page outside the article body it quotes (a byline, say), or ""
    key_lines: dict = field(default_factory=dict, compare=False, repr=False)   # key -> its line, for errors

    def at(self, key: str) -> Where:
        """Where a key of the citation is written ('source', 'quote', 'part'), else the citation itself."""
        return Where(self.where.path, self.key_lines.get(key, self.where.line))

    @property
    def anchor(self) -> str:
        """The id of the highlighted passage on the source page."""
        return f"q-{self.start}-{self.end}"

    @property
    def path(self) -> str:
        return path_of("passage", source_id=self.source_id, anchor=self.anchor)


@dataclass
class Variant:
    """One version of a claim (or a spelling, a title) with the citations that give it."""
    text: str
    citations: list[Citation]
    where: Where = field(compare=False)  # for error messages only, not content
    speakers: list[str] = field(default_factory=list)   # entity ids: who said it, for a version of a claim
    status: str = ""            # what this version says became of the matter (status.py), or ""


@dataclass
class Entity:
    id: str
    kind: str                   # person | property | meeting | organization
    name: str
    names: list[Variant]
    roles: list[Variant]
    topic_id: str
    where: Where = field(compare=False)  # for error messages only, not content

    def all_citations(self) -> list[Citation]:
        return [c for v in self.names + self.roles for c in v.citations]

    @property
    def path(self) -> str:
        return path_of("entity", id=self.id)


@dataclass
class Fact:
    id: str
    text: str
    citations: list[Citation]
    topic_id: str
    where: Where = field(compare=False)  # for error messages only, not content
    date: DateValue | None = None
    entity_ids: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    entities_where: Where | None = field(default=None, compare=False)
    speakers: list[str] = field(default_factory=list)   # entity ids (according_to): who said what the fact reports
    speakers_where: Where | None = field(default=None, compare=False)
    status: str = ""            # agreed, proposed, ... (status.py), or "": what became of the matter at its meeting
    meeting: str = ""           # the entity id (kind meeting) the fact belongs to, or ""
    detail: str = ""            # which detail of its meeting the fact gives: date, place, heads (status.py), or ""
    issue: str = ""             # the issue it belongs to (an id of site.yaml 'issues'), or ""
    keys_where: dict = field(default_factory=dict, compare=False)   # key -> Where, for errors on these keys
    # the page of its topic that shows it, from its place in the file and `facts_per_page` (load.py): part of the
    # fact, so that what shows or links to it is rendered again when it moves to another page
    page: int = 1

    def all_citations(self) -> list[Citation]:
        return self.citations + [c for v in self.variants for c in v.citations]

    @property
    def path(self) -> str:
        return numbered("fact", self.page, topic_id=self.topic_id, id=self.id)

    @property
    def outcome_disputed(self) -> bool:
        """Its articles give different statuses, each version its own."""
        return not self.status and any(v.status for v in self.variants)

    def statuses(self) -> list[str]:
        """The status the fact gives, or the different ones its versions give."""
        return [self.status] if self.status else list(dict.fromkeys(v.status for v in self.variants if v.status))

    def all_speakers(self) -> list[str]:
        """Who the fact or any of its versions is attributed to, each once."""
        return list(dict.fromkeys(self.speakers + [s for v in self.variants for s in v.speakers]))


@dataclass
class Topic:
    id: str
    title: str
    summary: str
    entities: list[Entity]
    facts: list[Fact]
    where: Where = field(compare=False)  # for error messages only, not content
    digest: str = field(default="", compare=False)   # of the file it was read from, to reuse it unchanged
    text: str = field(default="", compare=False, repr=False)  # the file, when facts is its last key: to read an
                                                              # edit of one fact alone (load.spliced_facts)
    per_page: int = 0           # facts_per_page when it was read (load.py): its facts' `page` follow from it

    @property
    def path(self) -> str:
        return path_of("topic", id=self.id)

    @property
    def page_count(self) -> int:
        return self.facts[-1].page if self.facts else 1

    def page_path(self, number: int) -> str:
        return numbered("topic", number, id=self.id)

    def markdown_fields(self) -> list[tuple[str, Where]]:
        """The topic file's Markdown: its summary, each fact's text and each version's, at its item's line."""
        fields = [(self.summary, self.where)] + [(f.text, f.where) for f in self.facts]
        return fields + [(v.text, v.where) for f in self.facts for v in f.variants]


@dataclass
class Source:
    id: str
    seed: str                   # file name inside seeds/
    headline: str               # "" when the article has none
    outlet: str
    author: str
    meeting: str                # an entity id of kind meeting
    published: DateValue
    body: tuple[int, int]       # first and last line of the article body, 1-based inclusive
    where: Where = field(compare=False)  # for error messages only, not content
    text: str = ""              # the seed's text, read by load()
    name: str = ""              # how the site names the article (short); its headline when not given
    note: str = ""              # what a reader should know about this copy of the article (Markdown)

    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def path(self) -> str:
        return path_of("source", id=self.id)


@dataclass
class Page:
    slug: str
    title: str
    description: str
    body: str                   # Markdown
    where: Where = field(compare=False)  # for error messages only, not content
    body_line: int = field(default=1, compare=False)    # the file's line the body starts on

    @property
    def id(self) -> str:
        return self.slug

    @property
    def path(self) -> str:
        return path_of("page", id=self.slug)


@dataclass
class Config:
    title: str
    description: str
    language: str
    direction: str
    base_url: str
    output_dir: str
    digits: str                 # "arab" (٠١٢) or "latn" (012)
    source_text: str            # "full" or "excerpts"
    topics: list[str]
    intro: str = ""             # Markdown shown on the home page
    publisher: str = ""
    issues: dict = field(default_factory=dict)     # issue id -> its name, in the order of the issues page
    status_markers: dict = field(default_factory=dict)   # status -> words added to status.MARKERS
    timeline_page_size: int = 500   # facts per timeline page: a phone still opens it, an edit re-renders one page
    facts_per_page: int = 100   # facts per page of a topic: a longer topic is split into pages (Topic.page_count)
    key_lines: dict = field(default_factory=dict, compare=False)   # where each key is written, for errors

    def at(self, key: str) -> Where:
        """Where a setting is written in site.yaml, for error messages."""
        return Where("site.yaml", self.key_lines.get(key, 1))


@dataclass
class Site:
    root: Path
    config: Config
    sources: list[Source]
    topics: list[Topic]
    pages: list[Page]

    def facts(self) -> list[Fact]:
        return [f for t in self.topics for f in t.facts]

    def entities(self) -> list[Entity]:
        return [e for t in self.topics for e in t.entities]

    def citations(self) -> list[Citation]:
        return [c for item in self.facts() + self.entities() for c in item.all_citations()]

    def markdown_fields(self, topics: bool = True) -> list[tuple[str, Where]]:
        """Every text an editor writes in Markdown (`topics`: those of topic files too), with where: a page's
        body from the line it starts on; a field of a YAML file at its item's line."""
        fields = [(self.config.intro, self.config.at("intro"))]
        fields += [field for t in self.topics for field in t.markdown_fields()] if topics else []
        return fields + [(p.body, Where(p.where.path, p.body_line)) for p in self.pages]
