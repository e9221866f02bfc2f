"""The real content: enough facts, every article cited, every named person and property present, each spelling
an article gives recorded and cited from that article."""
import pytest

from conftest import ROOT
from sitegen.citations import resolve_citations
from sitegen.load import load
from sitegen.validate import validate

# Every person named in an article body, with each spelling the articles use (read off the seeds).
PEOPLE = {
    "darchiev": ["دارشييف", "دارشيف", "دارتشييف"],
    "coulter": ["سوناتا كولتر"],
    "lavrov": ["سيرغي لافروف"],
    "rubio": ["ماركو روبيو"],
    "tammy-bruce": ["تامي بروس"],
    "ryabkov": ["سيرجي ريابكوف"],
    "zakharova": ["ماريا زاخاروفا"],
    "dmitriev": ["كيريل ديميترييف"],
    "witkoff": ["ستيف ويتكوف"],
    "trump": ["دونالد ترامب"],
    "putin": ["فلاديمير بوتين"],
    "biden": ["جو بايدن"],
}
PROPERTIES = ["كيلينورث", "بايونير بوينت", "سان فرانسيسكو", "سياتل", "البعثات التجارية في واشنطن ونيويورك"]


@pytest.fixture(scope="module")
def site():
    site, errors = load(ROOT)
    assert errors == []
    assert validate(site) == [] and resolve_citations(site) == []
    return site


def test_enough_facts_and_every_article_cited_eight_times(site):
    assert len(site.facts()) >= 60
    for source in site.sources:
        assert sum(c.source_id == source.id for c in site.citations()) >= 8, source.id


def test_every_named_person_is_an_entity_with_each_spelling_cited(site):
    entities = {e.id: e for e in site.entities()}
    for ident, spellings in PEOPLE.items():
        assert entities[ident].kind == "person", ident
        quoted = " ".join(c.quote for v in entities[ident].names for c in v.citations)
        for spelling in spellings:
            assert spelling in quoted, (ident, spelling)


def test_every_spelling_in_the_articles_is_recorded_for_the_article_that_uses_it(site):
    darchiev = next(e for e in site.entities() if e.id == "darchiev")
    for source in site.sources:
        for spelling in PEOPLE["darchiev"]:
            if spelling + " " in source.text or spelling + "،" in source.text:
                assert any(spelling in c.quote and c.source_id == source.id
                           for v in darchiev.names for c in v.citations), (source.id, spelling)


def test_every_named_property_is_present(site):
    properties = [e for e in site.entities() if e.kind == "property"]
    assert len(properties) == 6
    text = " ".join(c.quote for e in properties for v in e.names + e.roles for c in v.citations)
    for name in PROPERTIES:
        assert all(word in text for word in name.split() if len(word) > 3), name


def test_every_source_reports_one_of_the_three_rounds(site):
    meetings = {e.id for e in site.entities() if e.kind == "meeting"}
    assert {"riyadh-meeting", "istanbul-round-1", "istanbul-round-2", "planned-next-round"} <= meetings
    assert {s.meeting for s in site.sources} <= {"riyadh-meeting", "istanbul-round-1", "istanbul-round-2"}


def test_inferred_dates_give_their_reasoning(site):
    dates = [s.published for s in site.sources] + [f.date for f in site.facts() if f.date]
    assert len(dates) >= 20
    for d in dates:
        assert d.inferred == "" or len(d.inferred) > 20


def test_disagreements_are_recorded(site):
    assert sum(1 for f in site.facts() if f.variants) >= 6
