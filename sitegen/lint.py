"""Warnings only a person can judge, printed by `build.py stats`: reported speech with no speaker, and fact texts
that lean on what is around them (a fact is also shown alone, on the timeline and on entity pages)."""
from __future__ import annotations

import re

from .model import Error, Fact, Site

# Verbs and phrases that introduce reported speech, with an optional و/ف in front.
SPEECH = re.compile(r"(?<!\w)[وف]?(?:قال|قالت|أكد|أكدت|أكدا|أشار|أشارت|أعلن|أعلنت|صرح|صرّح|صرحت|أوضح|أوضحت|"
                    r"أضاف|أضافت|ذكر|ذكرت|وصف|وصفت|أشاد|أشادت|أعرب|أعربت|اشتكى|اشتكت|شدد|شددت|"
                    r"وفق|وفقًا|وفقا|بحسب|حسب|حسبما)(?!\w)")
# A sentence ends at a full stop, question mark or line break: speech is looked for in the quote's own sentence.
SENTENCE_END = re.compile(r"[.!?؟\n]")
# Openers that join a fact to a sentence before it, and words that point back to something said before it.
OPENS_WITH_CONJUNCTION = re.compile(
    r"^(?:[وف](?:من|منها|منه|في|فيها|على|عن|مع|كان|كانت|قد|لكن|لم|لا|إن|أن|هذا|هذه|ذلك|تلك|كذلك|أيضًا|أيضا)"
    r"|ثم|كما|لكن|لكنّ|بل|أيضًا|أيضا|كذلك)(?!\w)")
POINTS_BACK = re.compile(r"(?<!\w)(?:(?:هذا|هذه|هذان|هاتان|هذين|هاتين|ذلك|تلك|هؤلاء)\s+ال\w+|\w+\s+(?:نفسه|نفسها|نفسيهما)"
                         r"|منذ ذلك الحين|آنذاك|المقالتان|المقالتين|المذكورة|المذكور)(?!\w)")
QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")


def warnings(site: Site) -> list[Error]:
    """Every warning, sorted: the fact's file and line, and what to look at."""
    texts = {s.id: s.text for s in site.sources}
    out = []
    for fact in site.facts():
        out += unattributed_speech(fact, texts)
        out += leans_on_context(fact)
    return sorted(out)


def unattributed_speech(fact: Fact, texts: dict[str, str]) -> list[Error]:
    """A fact (or a version of it) with no speaker whose every quote sits in a sentence of reported speech
    (قال، أكد، بحسب…): the site would state in its own voice what someone said. One article that states it
    as fact is enough to leave it unattributed."""
    if fact.speakers:
        return []
    out = []
    for what, citations, speakers in [("fact", fact.citations, [])] + [
            ("a version of fact", v.citations, v.speakers) for v in fact.variants]:
        found = [speech_before(c, texts.get(c.source_id, "")) for c in citations if c.start >= 0]
        if speakers or not found or not all(found):
            continue
        cite, verb = next((c, v) for c, v in zip(citations, found))
        out.append(fact.where.error(f"{what} '{fact.id}' quotes only reported speech («{verb}» in {cite.source_id}, "
                                    f"line {cite.paragraph}) but has no 'according_to'"))
    return out


def speech_before(cite, text: str) -> str:
    """The verb of saying in the quote's sentence, up to the end of the quote, or ""."""
    begin = max((m.end() for m in SENTENCE_END.finditer(text, 0, cite.start)), default=0)
    found = SPEECH.search(text, begin, cite.end)
    return found.group() if found else ""


def leans_on_context(fact: Fact) -> list[Error]:
    """A fact text (or a version's) that opens with a conjunction or points back; quoted words do not count."""
    out = []
    for text in [fact.text] + [v.text for v in fact.variants]:
        own = QUOTED.sub("…", text).strip()
        found = OPENS_WITH_CONJUNCTION.match(own) or POINTS_BACK.search(own)
        if found:
            how = "opens with" if found.start() == 0 and OPENS_WITH_CONJUNCTION.match(own) else "points back with"
            out.append(fact.where.error(f"fact '{fact.id}' does not stand alone: its text {how} «{found.group()}»"))
    return out
