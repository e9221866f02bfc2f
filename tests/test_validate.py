"""Stage 2: ids, references, settings and dates, each error naming the file and line to fix."""
from sitegen.citations import resolve_citations
from sitegen.load import load
from sitegen.model import Error
from sitegen.validate import validate

from helpers import line_of, replace_in


def errors_of(root):
    site, errors = load(root)
    assert errors == [], errors
    return sorted(validate(site))


def test_the_basic_fixture_is_valid(project):
    assert errors_of(project()) == []


def test_duplicate_id_across_files_names_both_places(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", "- id: flights-suspended", "- id: darchiev")
    first = line_of(root / "content/topics/meetings.yaml", "- id: darchiev")
    dup = line_of(root / "content/topics/flights.yaml", "- id: darchiev")
    assert errors_of(root) == [Error("content/topics/flights.yaml", dup,
                                     f"duplicate id 'darchiev' (first used at content/topics/meetings.yaml:{first})")]


def test_unknown_source_suggests_the_closest(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", "      - source: two", "      - source: tow")
    line = line_of(root / "content/topics/flights.yaml", "- source: tow")
    assert errors_of(root) == [Error("content/topics/flights.yaml", line,
                                     "unknown source 'tow' (did you mean 'two'?)")]


def test_unknown_entity_and_meeting(project):
    root = project()
    replace_in(root / "content/topics/meetings.yaml", "entities: [darchiev]", "entities: [darchev]")
    replace_in(root / "content/sources.yaml", "meeting: round-one", "meeting: round-two")
    assert errors_of(root) == [
        Error("content/sources.yaml", 2, "unknown meeting 'round-two' (did you mean 'round-one'?)"),
        Error("content/topics/meetings.yaml", line_of(root / "content/topics/meetings.yaml", "[darchev]"),
              "unknown entity 'darchev' (did you mean 'darchiev'?)"),
    ]


def test_unknown_topic_in_site_yaml_and_unlisted_topic_file(project):
    root = project()
    replace_in(root / "site.yaml", "topics: [meetings, flights]", "topics: [meetings, flight]")
    assert errors_of(root) == [
        Error("content/topics/flights.yaml", 1, "topic 'flights' is not listed in site.yaml 'topics'"),
        Error("site.yaml", 7, "unknown topic 'flight' (did you mean 'flights'?): no file content/topics/flight.yaml"),
    ]


def test_settings_enums_and_base_url(project):
    root = project()
    replace_in(root / "site.yaml", "digits: arab", "digits: roman")
    replace_in(root / "site.yaml", '"https://example.org/demo/"', '"example.org"')
    assert errors_of(root) == [
        Error("site.yaml", 5, "'base_url' must be an absolute http(s) URL (got 'example.org')"),
        Error("site.yaml", 6, "'digits' must be one of: arab, latn (got 'roman')"),
    ]


def test_bad_date_and_body_range(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", 'date: "2022"', 'date: "2022-13-01"')
    replace_in(root / "content/sources.yaml", "body: [2, 5]", "body: [2, 50]")
    fact_line = line_of(root / "content/topics/flights.yaml", "- id: flights-suspended")
    assert errors_of(root) == [
        Error("content/sources.yaml", 12, "'body' [2, 50] must be lines within 1..6 of two.txt"),
        Error("content/topics/flights.yaml", fact_line, "date '2022-13-01' must be YYYY, YYYY-MM or YYYY-MM-DD"),
    ]


def test_bad_id_and_single_variant(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", "- id: flights-suspended", "- id: Flights_Suspended")
    text = (root / "content/topics/meetings.yaml").read_text(encoding="utf-8")
    start = text.index('      - text: "المقال الثاني')
    end = text.index("  - id: delegation-head")
    (root / "content/topics/meetings.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    errors = errors_of(root)
    assert Error("content/topics/flights.yaml", line_of(root / "content/topics/flights.yaml", "Flights_Suspended"),
                 "id 'Flights_Suspended' must be lower-case letters, digits and hyphens") in errors
    assert Error("content/topics/meetings.yaml", line_of(root / "content/topics/meetings.yaml", "المقال الأول:"),
                 "'variants' needs two or more versions to compare") in errors


def test_headline_must_be_in_the_article(project):
    root = project()
    replace_in(root / "content/sources.yaml", 'headline: "عنوان المقال الثاني"', 'headline: "عنوان آخر"')
    assert errors_of(root) == [Error("content/sources.yaml", 12, "headline does not appear in seeds/two.txt")]


def test_validate_and_resolve_report_together(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", "      - source: two", "      - source: tow")
    replace_in(root / "content/topics/flights.yaml", "عبر Türkiye", "عبر تركيا")
    site, _ = load(root)
    errors = validate(site) + resolve_citations(site)
    assert len(errors) == 2
