"""Stage 1, load: read site.yaml, content/ and seeds/ into the model, reporting every file that does not parse
or does not have the shape its schema declares (unknown, missing or mistyped keys)."""
from __future__ import annotations

import bisect
import difflib
import hashlib
import os
import stat
from pathlib import Path

from .model import Citation, Config, DateValue, Entity, Error, Fact, Page, Site, Source, Topic, Variant, Where
from .parallel import in_two
from .yamlfile import Map, Seq, hidden_character, load_yaml, parse_yaml, read_text

PARALLEL_FROM_BYTES = 1_000_000   # topic files below this size are read faster by one process than by two

# Field kinds: "text" is a non-empty string, "str" may be empty, "path" is text the file system accepts.
TEXT, STR, PATH, INT, LIST, DATE, MAP = "text", "str", "path", "int", "list", "date", "map"
_KIND_NAMES = {TEXT: "non-empty text", STR: "text", PATH: "a file or folder name (no NUL character)",
               INT: "a whole number", LIST: "a list",
               DATE: 'a date ("2025-02-27") or a mapping with value and inferred', MAP: "a mapping"}

SITE_FIELDS = {"title": (TEXT, True), "description": (TEXT, True), "language": (TEXT, True),
               "direction": (TEXT, True), "base_url": (TEXT, True), "output_dir": (PATH, False),
               "digits": (TEXT, False), "source_text": (TEXT, False), "topics": (LIST, True),
               "intro": (STR, False), "publisher": (STR, False), "timeline_page_size": (INT, False),
               "facts_per_page": (INT, False),
               "issues": (MAP, False), "status_markers": (MAP, False)}
SOURCE_FIELDS = {"id": (TEXT, True), "seed": (PATH, True), "headline": (STR, True), "name": (TEXT, False),
                 "outlet": (STR, True), "author": (STR, True), "meeting": (TEXT, True), "published": (DATE, True),
                 "body": (LIST, True), "note": (STR, False)}
TOPIC_FIELDS = {"title": (TEXT, True), "summary": (TEXT, True), "entities": (LIST, False), "facts": (LIST, True)}
ENTITY_FIELDS = {"id": (TEXT, True), "kind": (TEXT, True), "name": (TEXT, True), "names": (LIST, True),
                 "roles": (LIST, False)}
FACT_FIELDS = {"id": (TEXT, True), "text": (TEXT, True), "according_to": (LIST, False), "citations": (LIST, True),
               "date": (DATE, False), "entities": (LIST, False), "variants": (LIST, False),
               "status": (TEXT, False), "meeting": (TEXT, False), "detail": (TEXT, False), "issue": (TEXT, False)}
VARIANT_FIELDS = {"text": (TEXT, True), "citations": (LIST, True)}          # a name or a role of an entity
CLAIM_FIELDS = dict(VARIANT_FIELDS, according_to=(LIST, False), status=(TEXT, False))   # a version of a fact
CITATION_FIELDS = {"source": (TEXT, True), "quote": (TEXT, True), "part": (TEXT, False)}
DATE_FIELDS = {"value": (TEXT, True), "inferred": (TEXT, True)}
PAGE_FIELDS = {"title": (TEXT, True), "description": (TEXT, True)}


class _Reader:
    """Checks mappings of one file against declared fields and collects the shape errors."""

    def __init__(self, rel: str, errors: list[Error]):
        self.rel = rel
        self.errors = errors

    def where(self, line: int) -> Where:
        return Where(self.rel, line)

    def fields(self, node, line: int, what: str, spec: dict) -> dict | None:
        """The declared fields of a mapping (absent optional ones omitted), or None if it is not a mapping."""
        if not isinstance(node, Map):
            self.errors.append(Error(self.rel, line, f"{what} must be a mapping of keys to values"))
            return None
        out, usable = {}, True
        for key in node:
            if key not in spec:
                hint = difflib.get_close_matches(str(key), spec, n=1)
                known = f"did you mean '{hint[0]}'?" if hint else "known keys: " + ", ".join(spec)
                self.errors.append(Error(self.rel, node.line_of(key), f"unknown key '{key}' in {what} ({known})"))
        for key, (kind, required) in spec.items():
            if key not in node:
                if required:
                    self.errors.append(Error(self.rel, node.line, f"{what} is missing the key '{key}'"))
                    usable = False
                continue
            value = node[key]
            if self._kind_ok(value, kind):
                out[key] = value
            else:
                self.errors.append(Error(self.rel, node.line_of(key),
                                         f"'{key}' in {what} must be {_KIND_NAMES[kind]}"))
                usable = False
        return out if usable else None

    @staticmethod
    def _kind_ok(value, kind: str) -> bool:
        if kind == TEXT:
            return isinstance(value, str) and bool(value.strip())
        if kind == STR:
            return isinstance(value, str) or value is None
        if kind == PATH:  # "\0" (a YAML escape) makes every os call raise ValueError
            return isinstance(value, str) and bool(value.strip()) and "\0" not in value
        if kind == INT:
            return isinstance(value, int) and not isinstance(value, bool)
        if kind == LIST:
            return isinstance(value, Seq)
        if kind == DATE:
            return isinstance(value, (str, Map))
        return isinstance(value, Map)

    def items(self, seq: Seq):
        return zip(seq, seq.item_lines)

    def date(self, value, line: int, what: str) -> DateValue | None:
        if isinstance(value, str):
            return DateValue(value.strip())
        data = self.fields(value, line, what, DATE_FIELDS)
        return DateValue(data["value"].strip(), data["inferred"].strip()) if data else None

    def citations(self, seq: Seq, what: str) -> list[Citation]:
        out = []
        for item, line in self.items(seq):
            data = self.fields(item, line, "a citation", CITATION_FIELDS)
            if data:
                out.append(Citation(data["source"].strip(), data["quote"], self.where(line),
                                    part=data.get("part", "").strip(), key_lines=item.key_lines))
        if not seq:
            self.errors.append(Error(self.rel, seq.line, f"{what} needs at least one citation"))
        return out

    def variants(self, seq: Seq, what: str, spec: dict = VARIANT_FIELDS) -> list[Variant]:
        out = []
        for item, line in self.items(seq):
            data = self.fields(item, line, what, spec)
            if data:
                out.append(Variant(data["text"].strip(), self.citations(data["citations"], what), self.where(line),
                                   self.id_list(data.get("according_to", Seq()), "according_to"),
                                   data.get("status", "").strip()))
        return out

    def id_list(self, seq: Seq, what: str) -> list[str]:
        ids = []
        for item, line in self.items(seq):
            if isinstance(item, str) and item.strip():
                ids.append(item.strip())
            else:
                self.errors.append(Error(self.rel, line, f"each item of {what} must be an id"))
        return ids


def load(root: Path, known: dict[str, Topic] | None = None,
         known_sources: dict | None = None) -> tuple[Site | None, list[Error]]:
    """Read the whole project. Returns the site (None if site.yaml itself is unusable) and the errors found.
    `known` holds the topics an earlier load read, by file: a file whose text is the same is not parsed again,
    and one edited inside its facts is parsed again from the first fact whose lines changed. `known_sources`
    likewise holds the sources an earlier load read (load_sources)."""
    errors: list[Error] = []
    config = load_config(root, errors)
    sources = load_sources(root, errors, known_sources)
    known = known or {}
    paths = sorted((root / "content/topics").glob("*.yaml"))
    # which page of its topic shows each fact; a size validate() refuses still gives each fact a page
    per_page = config.facts_per_page if config and config.facts_per_page >= 1 else Config.facts_per_page

    def load_topics(some: list[Path]) -> list[tuple[Topic | None, list[Error]]]:
        out = []
        for path in some:
            found: list[Error] = []
            out.append((load_topic(root, path, found, known, per_page), found))
        return out

    # a large site's topic files are read on two cores; the preview's own builds reuse `known` instead
    parallel = not known and sum(_size(p) for p in paths) >= PARALLEL_FROM_BYTES
    topics = []
    for topic, found in in_two(load_topics, paths, parallel):
        errors += found
        if topic:
            topics.append(topic)
    pages = [p for p in (load_page(root, p, errors) for p in sorted((root / "content/pages").glob("*.md"))) if p]
    if config is None:
        return None, errors
    return Site(root, config, sources, topics, pages), errors


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_top_level(path: Path, rel: str, what: str, spec: dict, errors: list[Error], text: str | None = None):
    """Parse a YAML file (or its `text`, already read) and check its top-level keys: (reader, fields, data), or
    None if it is unusable."""
    data, errs = load_yaml(path, rel) if text is None else parse_yaml(text, rel)
    errors += errs
    if errs and data is None:
        return None
    reader = _Reader(rel, errors)
    fields = reader.fields(data, 1, what, spec)
    return None if fields is None else (reader, fields, data)


def load_config(root: Path, errors: list[Error]) -> Config | None:
    read = read_top_level(root / "site.yaml", "site.yaml", "site.yaml", SITE_FIELDS, errors)
    if read is None:
        return None
    reader, fields, data = read
    topics = reader.id_list(fields["topics"], "topics")
    return Config(
        title=fields["title"].strip(), description=fields["description"].strip(),
        language=fields["language"].strip(), direction=fields["direction"].strip(),
        base_url=fields["base_url"].strip(), output_dir=fields.get("output_dir", "_site").strip(),
        digits=fields.get("digits", "arab").strip(), source_text=fields.get("source_text", "full").strip(),
        topics=topics, intro=fields.get("intro") or "", publisher=fields.get("publisher") or "",
        timeline_page_size=fields.get("timeline_page_size", Config.timeline_page_size),
        facts_per_page=fields.get("facts_per_page", Config.facts_per_page),
        issues={str(k): v.strip() if isinstance(v, str) else v for k, v in fields.get("issues", {}).items()},
        status_markers={str(k): list(v) if isinstance(v, Seq) else v
                        for k, v in fields.get("status_markers", {}).items()},
        key_lines=dict(data.key_lines))


def load_sources(root: Path, errors: list[Error], known: dict | None = None) -> list[Source]:
    """The sources, each with its article's text. `known` maps the text of sources.yaml to the sources an
    earlier call read from it without errors: they are taken again while every article's text is the same
    (the file is not parsed again, the objects stay the same); `known` then holds this call's."""
    rel = "content/sources.yaml"
    text, errs = read_text(root / rel, rel)
    kept = (known or {}).get(text) if not errs else None
    if kept is not None and same_seeds(root, kept):
        return kept
    found: list[Error] = []
    sources = read_sources(root, found, text, errs)
    errors += found
    if known is not None:
        known.clear()
        if not found:
            known[text] = sources
    return sources


def same_seeds(root: Path, sources: list[Source]) -> bool:
    """Whether every seed of sources read before is still a plain file of seeds/ with the same text, as read_seed
    would find it (without resolving 200 paths): a seed that is anything else now is read again by read_seed,
    which says what is wrong with it."""
    seeds = os.path.realpath(root / "seeds")
    for source in sources:
        if "/" in source.seed or os.sep in source.seed or source.seed in ("", ".", ".."):
            return False
        path = os.path.join(seeds, source.seed)
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                return False
        except OSError:
            return False
        if read_text(Path(path), source.seed)[0] != source.text:
            return False
    return True


def read_sources(root: Path, errors: list[Error], text: str | None, errs: list[Error]) -> list[Source]:
    rel = "content/sources.yaml"
    if errs:
        errors += errs
        return []
    read = read_top_level(root / rel, rel, "sources.yaml", {"sources": (LIST, True)}, errors, text)
    if read is None:
        return []
    reader, top, _ = read
    sources = []
    for item, line in reader.items(top["sources"]):
        d = reader.fields(item, line, "a source", SOURCE_FIELDS)
        if not d:
            continue
        published = reader.date(d["published"], item.line_of("published"), "'published'")
        body = d["body"]
        if len(body) != 2 or not all(_Reader._kind_ok(n, INT) for n in body):
            errors.append(Error(rel, item.line_of("body"), "'body' must be [first line, last line]"))
            continue
        if published is None:
            continue
        headline = (d["headline"] or "").strip()
        source = Source(d["id"].strip(), d["seed"].strip(), headline, (d["outlet"] or "").strip(),
                        (d["author"] or "").strip(), d["meeting"].strip(), published, (body[0], body[1]),
                        Where(rel, line), name=d.get("name", headline).strip(), note=(d.get("note") or "").strip())
        text, seed_errors = read_seed(root, source.seed, Where(rel, item.line_of("seed")))
        errors += seed_errors
        if text is not None:
            source.text = text
            sources.append(source)
    return sources


def read_seed(root: Path, name: str, where: Where) -> tuple[str | None, list[Error]]:
    """A seed's text, refusing any name that resolves outside seeds/ (.., absolute paths, symlinks out)."""
    seeds = (root / "seeds").resolve()
    try:
        path = (seeds / name).resolve()
        is_file = path.is_file()
    except RuntimeError:  # pathlib's word for a symlink loop
        return None, [where.error(f"seed 'seeds/{name}' is a symlink loop")]
    except OSError as exc:  # a name too long, a folder we may not enter
        return None, [where.error(f"seed 'seeds/{name}' cannot be read: {exc.strerror}")]
    if Path(name).is_absolute() or not path.is_relative_to(seeds) or path.parent != seeds:
        return None, [where.error(f"seed '{name}' must be a file name inside seeds/")]
    if not is_file:
        what = "is a folder, expected a file" if path.is_dir() else "not found"
        return None, [where.error(f"seed file 'seeds/{name}' {what}")]
    text, errs = read_text(path, f"seeds/{name}")
    if errs:
        return None, [where.error(f"seed 'seeds/{name}': {e.message}") for e in errs]
    return text, []


def load_topic(root: Path, path: Path, errors: list[Error], known: dict[str, Topic], per_page: int) -> Topic | None:
    """A topic file: taken from `known` (the previous build) if unchanged; read again only from the first fact an
    edit touches if the edit lies inside its facts list; else read whole. Its facts go `per_page` to a page."""
    rel = path.relative_to(root).as_posix()
    text, errs = read_text(path, rel)
    errors += errs
    if errs:
        return None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    old = known.get(rel)
    if old and old.per_page != per_page:    # its facts' pages are another size's
        old = None
    if old and old.digest == digest:
        return old
    facts = spliced_facts(old, text, rel) if old and old.text else None
    if facts is not None:
        return Topic(old.id, old.title, old.summary, old.entities, facts, old.where, digest, text, per_page)
    read = read_top_level(path, rel, "a topic file", TOPIC_FIELDS, errors, text)
    if read is None:
        return None
    reader, d, data = read
    topic_id = path.stem
    entities = []
    for item, line in reader.items(d.get("entities", Seq())):
        e = reader.fields(item, line, "an entity", ENTITY_FIELDS)
        if e:
            entities.append(Entity(
                e["id"].strip(), e["kind"].strip(), e["name"].strip(),
                reader.variants(e["names"], "a name"), reader.variants(e.get("roles", Seq()), "a role"),
                topic_id, Where(rel, line)))
    facts = read_facts(reader, d["facts"], topic_id, per_page)
    facts_last = data.key_lines["facts"] == max(data.key_lines.values())
    return Topic(topic_id, d["title"].strip(), d["summary"].strip(), entities, facts, Where(rel, 1), digest,
                 text if facts_last else "", per_page)


def read_facts(reader: _Reader, seq: Seq, topic_id: str, per_page: int, before: int = 0) -> list[Fact]:
    """The facts of a list, the first being the topic's fact number `before` (0-based), each with its page."""
    facts = []
    for item, line in reader.items(seq):
        f = reader.fields(item, line, "a fact", FACT_FIELDS)
        if not f:
            continue
        date = reader.date(f["date"], item.line_of("date"), "'date'") if "date" in f else None
        facts.append(Fact(
            id=f["id"].strip(), text=f["text"].strip(), citations=reader.citations(f["citations"], "a fact"),
            topic_id=topic_id, where=reader.where(line), date=date,
            entity_ids=reader.id_list(f.get("entities", Seq()), "entities"),
            variants=reader.variants(f.get("variants", Seq()), "a variant", CLAIM_FIELDS),
            entities_where=reader.where(item.line_of("entities")),
            speakers=reader.id_list(f.get("according_to", Seq()), "according_to"),
            speakers_where=reader.where(item.line_of("according_to")),
            status=f.get("status", "").strip(), meeting=f.get("meeting", "").strip(),
            detail=f.get("detail", "").strip(), issue=f.get("issue", "").strip(),
            keys_where={k: reader.where(item.line_of(k)) for k in ("status", "meeting", "detail", "issue") if k in f},
            page=(before + len(facts)) // per_page + 1))
    return facts


def spliced_facts(old: Topic, text: str, rel: str) -> list[Fact] | None:
    """The facts of a topic file after an edit inside its facts list (the file's last key), reading again only
    the fact the edit is in, or, if lines were added or removed, from that fact to the end; the facts before
    it are the previous build's own objects, so what was rendered for them is reused. None when the edit
    reaches outside the facts, or the part read again is not a clean list of facts: then the file is read
    whole, which also gives the reference errors."""
    before, after = old.text.split("\n"), text.split("\n")
    common = min(len(before), len(after))
    first = next((i for i in range(common) if before[i] != after[i]), common)   # first changed line, 0-based
    same_end = 0
    while same_end < common - first and before[-1 - same_end] == after[-1 - same_end]:
        same_end += 1
    starts = [f.where.line - 1 for f in old.facts]                               # 0-based line of each fact
    k = bisect.bisect_right(starts, first) - 1
    if k < 0 or len(starts) != len(set(starts)):
        return None
    one_fact = (len(after) == len(before) and k + 1 < len(starts)
                and len(before) - same_end <= starts[k + 1])
    chunk = after[starts[k]:starts[k + 1]] if one_fact else after[starts[k]:]
    # blank lines first, so that YAML counts lines as the file does
    data, errs = parse_yaml("\n" * starts[k] + "\n".join(chunk), rel)
    if errs or not isinstance(data, Seq) or not data or data.item_lines[0] != starts[k] + 1:
        return None
    if one_fact and len(data) != 1:
        return None
    problems: list[Error] = []
    facts = read_facts(_Reader(rel, problems), data, old.id, old.per_page, k)
    if problems or len(facts) != len(data):
        return None
    return old.facts[:k] + facts + (old.facts[k + 1:] if one_fact else [])


def load_page(root: Path, path: Path, errors: list[Error]) -> Page | None:
    rel = path.relative_to(root).as_posix()
    text, errs = read_text(path, rel)
    errors += errs
    if errs:
        return None
    lines = text.split("\n")
    if lines[0] != "---" or "---" not in lines[1:]:
        errors.append(Error(rel, 1, "a page starts with a YAML header between two '---' lines"))
        return None
    end = lines.index("---", 1)
    header, body = "\n".join(lines[1:end]), "\n".join(lines[end + 1:])
    # A blank first line makes YAML count lines as the file does (the header starts on line 2). A blank
    # header is left to fields(), which says what the page header must hold.
    data, errs = parse_yaml("\n" + header, rel) if header.strip() else (None, [])
    errors += errs
    if errs and data is None:
        return None
    errors += body_errors(body, rel, end + 2)
    d = _Reader(rel, errors).fields(data, 2, "the page header", PAGE_FIELDS)
    if d is None:
        return None
    return Page(path.stem, d["title"].strip(), d["description"].strip(), body, Where(rel, 1), body_line=end + 2)


def body_errors(body: str, rel: str, first_line: int) -> list[Error]:
    """A page's Markdown holds no character a text field may not (a raw ESC, a bidi override), by line."""
    errors = []
    for number, line in enumerate(body.split("\n"), first_line):
        problem = hidden_character(line)
        if problem:
            errors.append(Error(rel, number, problem))
    return errors
