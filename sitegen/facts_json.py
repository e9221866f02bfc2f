"""data/facts.json: the whole fact base, with each citation's offsets into its seed, for checking without the site."""
from __future__ import annotations

import json
from types import GeneratorType

from .model import Citation, DateValue, Fact, Site, Topic, Variant

FORMAT_VERSION = 1


def _date(d: DateValue | None):
    return None if d is None else {"value": d.value, "inferred": d.inferred or None}


def _citation(c: Citation) -> dict:
    return {"source": c.source_id, "quote": c.quote, "start": c.start, "end": c.end, "line": c.paragraph,
            "part": c.part or None}


def _variants(variants: list[Variant]) -> list[dict]:
    return [{"text": v.text, "according_to": v.speakers, "status": v.status or None,
             "citations": [_citation(c) for c in v.citations]} for v in variants]


def fact_line(f: Fact) -> str:
    return json.dumps({
        "id": f.id, "topic": f.topic_id, "text": f.text, "according_to": f.speakers, "date": _date(f.date),
        "status": f.status or None, "meeting": f.meeting or None, "detail": f.detail or None,
        "issue": f.issue or None, "entities": f.entity_ids, "citations": [_citation(c) for c in f.citations],
        "variants": _variants(f.variants)}, ensure_ascii=False)


def topic_lines(topic: Topic, line_of=fact_line) -> bytes:
    """The lines of a topic's facts, encoded: what the file holds of them (the preview keeps it by the topic)."""
    return ",\n".join(line_of(f) for f in topic.facts).encode("utf-8")


def facts_json(site: Site, lines_of=topic_lines) -> bytes:
    """The file, each topic's facts from `lines_of` (which may take them from an earlier build's). Other lists
    are generators: each record is turned into its line and dropped, never all held at once."""
    data = {
        "version": FORMAT_VERSION,
        "offsets": "Unicode code points into the seed file decoded as UTF-8; text[start:end] is the quoted "
                   "passage, which equals the quote up to runs of white space",
        "site": {"title": site.config.title, "base_url": site.config.base_url, "issues": site.config.issues},
        "sources": ({"id": s.id, "seed": f"seeds/{s.seed}", "headline": s.headline or None, "name": s.name,
                     "note": s.note or None, "outlet": s.outlet or None,
                     "author": s.author or None, "meeting": s.meeting, "published": _date(s.published),
                     "body_lines": list(s.body)} for s in site.sources),
        "topics": ({"id": t.id, "title": t.title, "facts": [f.id for f in t.facts]} for t in site.topics),
        "entities": ({"id": e.id, "kind": e.kind, "name": e.name, "topic": e.topic_id,
                      "names": _variants(e.names), "roles": _variants(e.roles)} for e in site.entities()),
        "facts": (lines_of(t) for t in site.topics if t.facts),
    }
    return dump_one_record_per_line(data)


def dump_one_record_per_line(data: dict) -> bytes:
    """JSON with each top-level key, and each item of a top-level list, on a line of its own: readable and
    diffable, and written by the C encoder (json.dumps with indent= falls back to pure Python, 10x slower).
    Items already encoded (bytes) are taken as they are: they may hold several records, one per line."""
    def dumps(value) -> bytes:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")

    parts = [b"{\n"]
    for key, value in data.items():
        parts += [dumps(key), b": "]
        if isinstance(value, (list, GeneratorType)):
            items = [item if isinstance(item, bytes) else dumps(item) for item in value]
            parts.append(b"[\n" + b",\n".join(items) + b"\n]" if items else b"[]")
        else:
            parts.append(dumps(value))
        parts.append(b",\n")
    parts[-1] = b"\n}\n"
    return b"".join(parts)
