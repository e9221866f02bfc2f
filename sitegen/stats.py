"""`build.py stats`: what the explainer covers, per article the body sentences no citation touches yet (those the
preview marks), and the warnings only an editor can judge (lint.py)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .citations import resolve_citations
from .lint import warnings
from .load import load
from .model import Error, Site
from .sourcetext import quoted_spans, uncited_sentences
from .validate import validate


def stats(root: Path) -> tuple[str, list[Error]]:
    """The report, from the first three stages: counting needs the resolved quotes, not the pages."""
    site, errors = load(root)
    if site is not None and not errors:
        errors = validate(site) + resolve_citations(site)
    if errors:
        return "", sorted(set(errors))
    return report(site), []


def uncited(site: Site) -> dict[str, list[tuple[int, str]]]:
    """For each source id, the (line, text) of every sentence of its body no resolved citation overlaps."""
    spans = quoted_spans(site)
    return {s.id: [(line, s.text[a:b]) for line, a, b in uncited_sentences(s, spans.get(s.id, []))]
            for s in site.sources}


def report(site: Site) -> str:
    width = max(len(x) for x in ["total"] + [t.id for t in site.topics] + [s.id for s in site.sources])
    topics = {t.id: t for t in site.topics}
    rows = ["Facts per topic:"]
    for topic_id in site.config.topics:
        rows.append(f"  {topic_id:<{width}} {len(topics[topic_id].facts):>5}")
    facts = site.facts()
    rows.append(f"  {'total':<{width}} {len(facts):>5}   ({sum(1 for f in facts if f.date)} dated, "
                f"{sum(1 for f in facts if f.variants)} with variants, {len(site.entities())} entities)")
    per_source = Counter(c.source_id for c in site.citations())
    rows.append("")
    rows.append("Citations per article:")
    for s in site.sources:
        rows.append(f"  {s.id:<{width}} {per_source[s.id]:>5}   seeds/{s.seed}")
    rows.append(f"  {'total':<{width}} {sum(per_source.values()):>5}")
    rows.append("")
    rows.append("Body sentences no fact cites yet:")
    for source_id, found in uncited(site).items():
        rows.append(f"  {source_id}: {len(found) or 'none'}")
        for line, text in found:
            short = text if len(text) <= 90 else text[:89] + "…"
            rows.append(f"    line {line}: {short}")
    found = warnings(site)
    rows.append("")
    rows.append(f"Warnings: {len(found) or 'none'}")
    rows += [f"  {w}" for w in found]
    return "\n".join(rows) + "\n"
