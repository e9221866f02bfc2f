"""`build.py stats`: what the explainer covers and, per article, the body paragraphs no citation touches yet."""
from __future__ import annotations

from collections import Counter

from .model import Site


def uncited_paragraphs(site: Site) -> dict[str, list[tuple[int, str]]]:
    """For each source id, the (line, text) of every non-empty body line that no resolved citation overlaps."""
    cited: dict[str, set[int]] = {}
    for c in site.citations():
        if c.start >= 0:
            source = next(s for s in site.sources if s.id == c.source_id)
            first = source.text.count("\n", 0, c.start) + 1
            last = source.text.count("\n", 0, c.end) + 1
            cited.setdefault(c.source_id, set()).update(range(first, last + 1))
    out = {}
    for s in site.sources:
        lines = s.lines()
        first, last = s.body
        out[s.id] = [(n, lines[n - 1]) for n in range(first, last + 1)
                     if lines[n - 1].strip() and n not in cited.get(s.id, set())]
    return out


def stats(site: Site) -> str:
    rows = ["Facts per topic:"]
    for topic in site.topics:
        rows.append(f"  {topic.id:<16} {len(topic.facts):>4}")
    facts = site.facts()
    rows.append(f"  {'total':<16} {len(facts):>4}   ({sum(1 for f in facts if f.date)} dated, "
                f"{sum(1 for f in facts if f.variants)} with variants, {len(site.entities())} entities)")
    per_source = Counter(c.source_id for c in site.citations())
    rows.append("")
    rows.append("Citations per article:")
    for s in site.sources:
        rows.append(f"  {s.id:<16} {per_source[s.id]:>4}   seeds/{s.seed}")
    rows.append(f"  {'total':<16} {sum(per_source.values()):>4}")
    rows.append("")
    rows.append("Body paragraphs no fact cites yet:")
    for source_id, paragraphs in uncited_paragraphs(site).items():
        rows.append(f"  {source_id}: {len(paragraphs) or 'none'}")
        for line, text in paragraphs:
            short = text.strip() if len(text.strip()) <= 90 else text.strip()[:89] + "…"
            rows.append(f"    line {line}: {short}")
    return "\n".join(rows) + "\n"
