"""The lookup tables templates read (`look.*`): what each topic file adds to them is made per topic, then joined in
site order. The preview keeps a topic's part while the topic is the same object and the articles are the same, and
a joined list while its parts are the same lists, so that an unchanged list is the same object build after build
(deps.Kept keeps its canonical form by the object)."""
from __future__ import annotations

import operator

from .model import Site, Topic
from .status import STATUSES

class Tables:
    """What the preview keeps of the tables between builds (a one-off build keeps nothing)."""

    def __init__(self):
        self.parts: dict[str, tuple] = {}       # topic id -> (topic, articles, its part)
        self.joined: dict[tuple, tuple] = {}    # (table, key) -> (the part lists, their join)

    def part(self, topic: Topic, articles: bytes) -> dict:
        entry = self.parts.get(topic.id)
        if entry is None or entry[0] is not topic or entry[1] != articles:
            part = topic_part(topic)
            if entry is not None:   # a topic edited in one fact: the lists it did not touch stay the same objects
                for name, lists in part.items():
                    before = entry[2][name]
                    for key, items in lists.items():
                        if key in before and same(before[key], items):
                            lists[key] = before[key]
            entry = (topic, articles, part)
        self.parts[topic.id] = entry
        return entry[2]

    def forget(self, topics: list[Topic]) -> None:
        live = {t.id for t in topics}
        self.parts = {k: v for k, v in self.parts.items() if k in live}


def site_tables(site: Site, kept: Tables | None = None, articles: bytes = b"") -> dict:
    """The indexes templates look things up in, from each topic's part (kept ones, with `kept`)."""
    kept = kept or Tables()
    parts = [(t, kept.part(t, articles)) for t in site.topics]
    kept.forget(site.topics)
    joined: dict = {}

    def join(table: str, names: tuple[str, ...] = (), combine=None) -> dict:
        """key -> the parts' lists under it joined (or `combine`d), the same object as the last build's while
        the parts are the same objects."""
        lists: dict = {}
        for name in (table,) + names:
            for _, part in parts:
                for key, items in part[name].items():
                    lists.setdefault(key, []).append(items)
        out = {}
        for key, some in lists.items():
            entry = kept.joined.get((table, key))
            if entry is None or len(entry[0]) != len(some) or any(a is not b for a, b in zip(entry[0], some)):
                entry = (some, combine(some) if combine else some[0] if len(some) == 1 else
                         [item for items in some for item in items])
            joined[(table, key)] = entry
            out[key] = entry[1]
        return out

    entities = site.entities()
    meetings = [e for e in entities if e.kind == "meeting"]
    by_status, disputed_outcome, by_issue = join("by_status"), join("disputed_outcome"), join("by_issue")
    disputed, by_meeting_id = join("disputed"), join("facts_by_meeting")
    own = {t.id: part for t, part in parts}
    tables = {
        "sources": {s.id: s for s in site.sources}, "entities": {e.id: e for e in entities},
        "topics": {t.id: t for t in site.topics},
        "facts_by_entity": join("facts_by_entity"),
        "facts_by_speaker": join("facts_by_speaker"),   # the claims each person or body made
        "sources_by_meeting": group(site.sources, lambda s: [s.meeting]),
        "citing": join("citing", ("citing_entities",)), "citers": join("citers", ("citers_entities",)),
        "quoted": join("quoted", combine=lambda spans: sorted(set().union(*spans))),
        "ordered_topics": ordered_topics(site),
        "disputed": disputed.get("", []), "meetings": meetings,
        "disputed_by_topic": [(t, own[t.id]["disputed"][""]) for t in ordered_topics(site) if own[t.id]["disputed"]],
        # the home page's answer, meeting pages and the issues page (status.py)
        "by_status": [(s, by_meeting(by_status, s, meetings)) for s in STATUSES],
        "status_disputed": by_meeting(disputed_outcome, "", meetings),
        "facts_by_meeting": {m.id: by_meeting_id.get(m.id, []) for m in meetings},
        "issue_timeline": [(ident, name, by_meeting(by_issue, ident, meetings))
                           for ident, name in site.config.issues.items()],
        "statuses": list(STATUSES),
    }
    kept.joined = joined
    return tables


def topic_part(topic: Topic) -> dict[str, dict]:
    """What one topic adds to each table, by key; lists in the topic's order."""
    facts, entities = topic.facts, topic.entities
    spans: dict[str, set] = {}
    for item in facts + entities:
        for c in item.all_citations():
            if c.start >= 0:
                spans.setdefault(c.source_id, set()).add((c.start, c.end))
    return {
        "facts_by_entity": group(facts, lambda f: f.entity_ids),
        "facts_by_speaker": group(facts, lambda f: f.all_speakers()),
        "citing": citing(facts), "citing_entities": citing(entities),
        "citers": group(facts, cited_sources), "citers_entities": group(entities, cited_sources),
        "quoted": spans,
        "disputed": group(facts, lambda f: [""] if f.variants else []),
        "by_status": group(facts, lambda f: [(f.status, f.meeting)] if f.status else []),
        "disputed_outcome": group(facts, lambda f: [("", f.meeting)] if f.meeting and f.outcome_disputed else []),
        "facts_by_meeting": group(facts, lambda f: [f.meeting] if f.meeting else []),
        "by_issue": group(facts, lambda f: [(f.issue, f.meeting)] if f.issue else []),
    }


def by_meeting(groups: dict, first, meetings: list) -> list[tuple]:
    """[(meeting entity or None, its facts)] in the order of the meetings, facts of no meeting first; none empty.
    `groups` holds the facts by (first, meeting id or "")."""
    found = [(None, groups.get((first, ""), []))] + [(m, groups.get((first, m.id), [])) for m in meetings]
    return [(m, some) for m, some in found if some]


def same(before, now) -> bool:
    """Whether a part's list holds the very same objects as before (a set of spans: the same spans)."""
    if type(now) is set:
        return before == now
    return len(before) == len(now) and all(map(operator.is_, before, now))


def group(items: list, keys_of) -> dict:
    """key -> the items that have it, in the order of the items."""
    out: dict = {}
    for item in items:
        for key in keys_of(item):
            out.setdefault(key, []).append(item)
    return out


def cited_sources(item) -> list[str]:
    return list(dict.fromkeys(c.source_id for c in item.all_citations()))


def citing(items: list) -> dict[str, list]:
    """source id -> [(fact or entity, its citations of that source)], in site order."""
    out: dict[str, list] = {}
    for item in items:
        for source_id, cites in group(item.all_citations(), lambda c: [c.source_id]).items():
            out.setdefault(source_id, []).append((item, cites))
    return out


def ordered_topics(site: Site) -> list[Topic]:
    by_id = {t.id: t for t in site.topics}
    return [by_id[i] for i in site.config.topics if i in by_id]
