"""What became of each matter the talks took up: a fact's `status`, the words its quotes must contain to carry it,
its `meeting`, the `detail` of the meeting it gives, and its `issue` tag; checked as part of validate()
(validate.check_topic, for each topic file)."""
from __future__ import annotations

import functools
import re

from .model import Error, Fact, Site, Where

STATUSES = ("agreed", "proposed", "discussed", "unresolved", "rejected")
DETAILS = ("date", "place", "heads")
# A status stands only on a quote that says it: one of these words must appear in at least one of the fact's
# (or the version's) quotes. site.yaml 'status_markers' adds words to a list; docs/content.md lists them.
MARKERS = {
    "agreed": ("اتفق", "اتفاق على", "تم الاتفاق", "توصل", "تفاهم"),
    "proposed": ("عرض", "اقترح", "اقتراح", "مقترح", "المبادرات"),
    "discussed": ("أثار", "بحث", "ناقش", "مناقشة", "المطروحة", "ركز", "حدد", "تحديد"),
    "unresolved": ("العالقة", "عالق", "محدود", "قلق", "المخاوف", "خلافات", "لم يصدر"),
    "rejected": ("رفض", "رفضت", "لن يحدث", "لا يمكن"),
}
DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")   # harakat, dagger alef, tatweel: "اتُّفق" is "اتفق"


def markers(site: Site) -> dict[str, tuple[str, ...]]:
    extra = site.config.status_markers
    return {s: words + tuple(w for w in extra.get(s, ()) if w not in words) for s, words in MARKERS.items()}


def plain(text: str) -> str:
    return " ".join(DIACRITICS.sub("", text).split())


def check_claims(fact: Fact, words: dict) -> list[Error]:
    """Each status of the fact, or of its versions, is one of the list and stands on a quote that says it."""
    errors = []
    claims = [(fact.status, fact.citations, where_of(fact, "status"))]
    claims += [(v.status, v.citations, v.where) for v in fact.variants]
    for status, citations, where in claims:
        if status and status not in STATUSES:
            errors.append(where.error(f"status '{status}' must be one of: {', '.join(STATUSES)}"))
        elif status and not any(w in plain(c.quote) for c in citations for w in words[status]):
            errors.append(where.error(
                f"status '{status}' needs a quote that says so: none of its quotes contains "
                + ", ".join(f"«{w}»" for w in words[status]) + " (more words: site.yaml 'status_markers')"))
    if fact.status and fact.variants and any(v.status for v in fact.variants):
        errors.append(where_of(fact, "status").error("a fact whose versions give statuses has no status of its own"))
    return errors


def check_keys(fact: Fact, kinds: dict[str, str], issues: dict) -> list[Error]:
    """`meeting` names a meeting (`kinds`: entity id -> kind), and a fact with a status or a detail names one;
    `detail` and `issue` are known."""
    at = functools.partial(where_of, fact)
    problems = [
        (fact.meeting and kinds.get(fact.meeting) != "meeting", "meeting",
         f"'meeting' must be an entity of kind meeting (got '{fact.meeting}')"),
        (fact.statuses() and not fact.meeting, "status", "a fact with a status names its 'meeting'"),
        (fact.detail and fact.detail not in DETAILS, "detail",
         f"'detail' must be one of: {', '.join(DETAILS)} (got '{fact.detail}')"),
        (fact.detail and not fact.meeting, "detail", "a fact with a 'detail' names its 'meeting'"),
        (fact.issue and fact.issue not in issues, "issue",
         f"unknown issue '{fact.issue}' (known: {', '.join(issues) or 'none: add them to site.yaml issues'})"),
    ]
    return [at(key).error(message) for wrong, key, message in problems if wrong]


def check_settings(site: Site) -> list[Error]:
    c = site.config
    errors = []
    for ident, name in c.issues.items():
        if not re.match(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", str(ident)) or not isinstance(name, str) or not name.strip():
            errors.append(c.at("issues").error(f"each issue is 'id: name' (lower-case id, a name): got '{ident}'"))
    for status, words in c.status_markers.items():
        if status not in STATUSES:
            errors.append(c.at("status_markers").error(
                f"'status_markers' names a status: '{status}' is not one of {', '.join(STATUSES)}"))
        elif not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            errors.append(c.at("status_markers").error(f"'status_markers' gives '{status}' a list of words"))
    return errors


def where_of(fact: Fact, key: str) -> Where:
    return fact.keys_where.get(key, fact.where)
