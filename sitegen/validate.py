"""Stage 2, validate: the meaning of what was loaded: settings, ids, dates, and every cross-reference."""
from __future__ import annotations

import datetime
import difflib
import re

from dataclasses import dataclass

from .urls import PATTERNS
from .model import Error, Site, Source, Topic, Where
from .status import check_claims, check_keys, check_settings, markers

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 80      # ids become folder names and URLs; a file name may not pass 255 bytes
MAX_NESTING = 20        # lists and quotes inside each other; Python-Markdown recurses (slowly) once per level
# The container markers in front of a line of Markdown: quote signs, list bullets and numbers, and indentation.
_PREFIX = re.compile(r"^(?:[ \t]*(?:>|(?:[*+-]|\d{1,9}[.)])(?=[ \t]|$)))*[ \t]*", re.M)
_MARKER = re.compile(r">|[*+-]|\d{1,9}[.)]")
DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
ENTITY_KINDS = ("person", "property", "meeting", "organization")
SPEAKER_KINDS = ("person", "organization")
# Parts of an article's page outside its body that a citation may quote, when it says which (`part:`).
PARTS = ("headline", "standfirst", "byline", "footer")
# Top-level folders the generator writes (urls.PATTERNS, the static files, the search index); a prose page may not
# take their names.
RESERVED_SLUGS = {p.split("/")[0].partition(".")[0] for p in PATTERNS.values() if not p.startswith("{")} | {"static", "pagefind"}


@dataclass(frozen=True)
class Known:
    """What the checks of one topic file read from the rest of the site: the only input besides the file itself,
    so a topic's errors are kept between builds by (its file's text, this) in the preview (reuse.py)."""
    entities: tuple[tuple[str, str], ...]   # (id, kind) of every entity, in site order
    sources: tuple[str, ...]                # every source id
    issues: tuple[str, ...]                 # the issue ids of site.yaml
    markers: tuple[tuple[str, tuple[str, ...]], ...]    # status -> the words a quote must contain to carry it
    references: bool                        # whether references to other files are checked (all files loaded)


def known(site: Site, references: bool = True) -> Known:
    return Known(tuple((e.id, e.kind) for e in site.entities()), tuple(s.id for s in site.sources),
                 tuple(site.config.issues), tuple(markers(site).items()), references)


def validate(site: Site, references: bool = True, topic_errors=None, source_errors=None) -> list[Error]:
    """Every check. references=False when some file did not load: a reference to what it holds would look
    wrong too, so those are checked once every file loads; the rest are shown with the load errors.
    `topic_errors(topic, known)` gives a topic file's own errors, `source_errors(source)` a source's (check_topic,
    check_source, or the preview's kept ones)."""
    topic_errors, source_errors = topic_errors or check_topic, source_errors or check_source
    errors: list[Error] = []
    errors += check_config(site)
    errors += check_ids(site)
    errors += check_seeds(site)
    for source in site.sources:
        errors += source_errors(source)
    if references:
        meetings = {e.id for e in site.entities() if e.kind == "meeting"}
        errors += [s.where.error(_unknown("meeting", s.meeting, meetings))
                   for s in site.sources if s.meeting not in meetings]
    errors += check_dates([(s.published, s.where) for s in site.sources])
    errors += check_markdown(site.markdown_fields(topics=False))
    errors += check_settings(site)
    context = known(site, references)
    for topic in site.topics:
        errors += topic_errors(topic, context)
    return errors


def check_topic(topic: Topic, known: Known) -> list[Error]:
    """The errors of one topic file that depend on nothing else than `known`: its ids, references, dates,
    Markdown and statuses."""
    kinds = dict(known.entities)
    errors = check_id_forms([(e.id, e.where) for e in topic.entities] + [(f.id, f.where) for f in topic.facts])
    if known.references:
        errors += check_references(topic, kinds, set(known.sources))
    errors += check_dates([(f.date, f.where) for f in topic.facts if f.date])
    errors += check_markdown(topic.markdown_fields())
    words, issues = dict(known.markers), dict.fromkeys(known.issues)
    for fact in topic.facts:
        errors += check_claims(fact, words) + check_keys(fact, kinds, issues)
    return errors


def _unknown(kind: str, name: str, known) -> str:
    hint = difflib.get_close_matches(name, list(known), n=1)
    return f"unknown {kind} '{name}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")


def check_config(site: Site) -> list[Error]:
    c = site.config
    errors = []
    for name, value, allowed in (("direction", c.direction, ("rtl", "ltr")), ("digits", c.digits, ("arab", "latn")),
                                 ("source_text", c.source_text, ("full", "excerpts"))):
        if value not in allowed:
            errors.append(c.at(name).error(f"'{name}' must be one of: {', '.join(allowed)} (got '{value}')"))
    for name in ("timeline_page_size", "facts_per_page"):
        if getattr(c, name) < 1:
            errors.append(c.at(name).error(f"'{name}' must be 1 or more"))
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", c.base_url):
        errors.append(c.at("base_url").error(f"'base_url' must be an absolute http(s) URL (got '{c.base_url}')"))
    files = {t.id for t in site.topics}
    # A topic file that exists but did not load has its own errors; "no file" would send the editor astray.
    on_disk = {p.stem for p in (site.root / "content/topics").glob("*.yaml")}
    seen = set()
    for topic_id in c.topics:
        if topic_id in seen:
            errors.append(c.at("topics").error(f"topic '{topic_id}' is listed twice in 'topics'"))
        seen.add(topic_id)
        if topic_id not in files and topic_id not in on_disk:
            errors.append(c.at("topics").error(f"{_unknown('topic', topic_id, files)}: no file content/topics/{topic_id}.yaml"))
    for topic in site.topics:
        if topic.id not in seen:
            errors.append(topic.where.error(f"topic '{topic.id}' is not listed in site.yaml 'topics'"))
    return errors


def check_ids(site: Site) -> list[Error]:
    """Every id is unique across sources, topics, entities and facts, and every source's and topic's is
    well-formed (check_topic checks those of entities and facts)."""
    errors = check_id_forms([(s.id, s.where) for s in site.sources] + [(t.id, t.where) for t in site.topics])
    named = [s.id for s in site.sources] + [t.id for t in site.topics]
    named += [e.id for e in site.entities()] + [f.id for f in site.facts()]
    if len(set(named)) < len(named):
        errors += duplicate_ids(site)
    for page in site.pages:
        if page.slug in RESERVED_SLUGS or not ID_RE.match(page.slug) or len(page.slug) > MAX_ID_LENGTH:
            errors.append(page.where.error(f"page file name '{page.slug}' is reserved or not a valid slug"))
    return errors


def check_id_forms(named: list[tuple[str, Where]]) -> list[Error]:
    errors = []
    for ident, where in named:
        if len(ident) > MAX_ID_LENGTH:
            errors.append(where.error(f"id '{ident[:20]}…' is {len(ident)} characters long; "
                                      f"at most {MAX_ID_LENGTH}"))
        elif not ID_RE.match(ident):
            errors.append(where.error(f"id '{ident}' must be lower-case letters, digits and hyphens"))
    return errors


def duplicate_ids(site: Site) -> list[Error]:
    errors = []
    first: dict[str, Where] = {}
    named = [(s.id, s.where) for s in site.sources] + [(t.id, t.where) for t in site.topics]
    named += [(e.id, e.where) for e in site.entities()] + [(f.id, f.where) for f in site.facts()]
    for ident, where in named:
        if ident in first:
            other = first[ident]
            errors.append(where.error(f"duplicate id '{ident}' (first used at {other.path}:{other.line})"))
        else:
            first[ident] = where
    return errors


def check_seeds(site: Site) -> list[Error]:
    errors = []
    seeds: dict[str, str] = {}
    for s in site.sources:
        if s.seed in seeds:
            errors.append(s.where.error(f"seed '{s.seed}' is already the article of source '{seeds[s.seed]}'"))
        seeds.setdefault(s.seed, s.id)
    return errors


def check_source(s: Source) -> list[Error]:
    """A source's body lines lie in its article, it has a name, and its headline is the article's."""
    errors = []
    count = len(s.lines())
    first, last = s.body
    if not 1 <= first <= last <= count:
        errors.append(s.where.error(f"'body' [{first}, {last}] must be lines within 1..{count} of {s.seed}"))
    if not s.headline and not s.name:
        errors.append(s.where.error("a source without a headline needs a 'name' for the site to call it by"))
    if " ".join(s.headline.split()) not in " ".join(s.text.split()):
        errors.append(s.where.error(f"headline does not appear in seeds/{s.seed}"))
    return errors


def check_references(topic: Topic, kinds: dict[str, str], sources: set[str]) -> list[Error]:
    """What a topic's entities and facts name: entity kinds, entities, speakers, sources and parts."""
    errors = [e.where.error(f"entity kind '{e.kind}' must be one of: {', '.join(ENTITY_KINDS)}")
              for e in topic.entities if e.kind not in ENTITY_KINDS]
    for fact in topic.facts:
        errors += [(fact.entities_where or fact.where).error(_unknown("entity", ident, kinds))
                   for ident in fact.entity_ids if ident not in kinds]
        errors += check_variants(fact) + check_speakers(fact, kinds)
    for cite in (c for item in topic.facts + topic.entities for c in item.all_citations()):
        if cite.source_id not in sources:
            errors.append(cite.at("source").error(_unknown("source", cite.source_id, sources)))
        if cite.part and cite.part not in PARTS:
            errors.append(cite.at("part").error(f"'part' must be one of: {', '.join(PARTS)} (got '{cite.part}')"))
    return errors


def check_variants(fact) -> list[Error]:
    """Variants are a disagreement: two versions or more, from two articles or more."""
    if len(fact.variants) == 1:
        return [fact.variants[0].where.error("'variants' needs two or more versions to compare")]
    cited = {c.source_id for v in fact.variants for c in v.citations}
    if len(fact.variants) > 1 and len(cited) < 2:
        return [fact.variants[0].where.error(
            f"'variants' all cite one article ({', '.join(sorted(cited))}): sources disagree only when two "
            "articles differ; one article's wordings belong in one fact")]
    return []


def check_speakers(fact, kinds: dict[str, str]) -> list[Error]:
    """`according_to` names people or bodies the site knows (`kinds`: entity id -> kind)."""
    errors = []
    speakers = [(i, fact.speakers_where or fact.where) for i in fact.speakers]
    speakers += [(i, v.where) for v in fact.variants for i in v.speakers]
    for ident, where in speakers:
        if ident not in kinds:
            errors.append(where.error(_unknown("entity", ident, kinds) + " in 'according_to'"))
        elif kinds[ident] not in SPEAKER_KINDS:
            errors.append(where.error(f"'according_to' names who said it: '{ident}' is a {kinds[ident]}, "
                                      f"not a {' or '.join(SPEAKER_KINDS)}"))
    return errors


def check_dates(dated: list) -> list[Error]:
    """(date, where) pairs: each date is a real YYYY, YYYY-MM or YYYY-MM-DD."""
    errors = []
    for date, where in dated:
        if not DATE_RE.match(date.value) or not _real_date(date.value):
            errors.append(where.error(f"date '{date.value}' must be YYYY, YYYY-MM or YYYY-MM-DD"))
    return errors


def _real_date(value: str) -> bool:
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        datetime.date(parts[0], parts[1], parts[2])
        return True
    except ValueError:
        return False


def check_markdown(fields: list[tuple[str, Where]]) -> list[Error]:
    """No Markdown field (text, where) nests lists or quotes deeper than MAX_NESTING: at the line, in a page; at
    the field's item, in YAML."""
    errors = []
    for text, where in fields:
        if "\n" not in text and text.lstrip()[:1] not in ">*+-0123456789":
            continue    # one line, no marker: nothing nests (most facts)
        for line, prefix in enumerate(_PREFIX.findall(text)):
            indent = prefix[:len(prefix) - len(prefix.lstrip(" \t"))].expandtabs(4)
            depth = len(_MARKER.findall(prefix)) + len(indent) // 4
            if depth > MAX_NESTING:
                at = where.line + line if where.path.endswith(".md") else where.line
                errors.append(Error(where.path, at, f"Markdown lists or quotes nested {depth} deep; "
                                                    f"at most {MAX_NESTING}"))
                break
    return errors
