"""Stage 1: files parse into the model, keep their line numbers, and shape errors name file and line."""
from pathlib import Path

from sitegen.load import load
from sitegen.model import Error
from sitegen.yamlfile import parse_yaml

from helpers import line_of, replace_in


def test_basic_fixture_loads_into_the_model(project):
    root = project()
    site, errors = load(root)
    assert errors == []
    assert site.config.digits == "arab" and site.config.topics == ["meetings", "flights"]
    assert [s.id for s in site.sources] == ["one", "two"]
    one = site.sources[0]
    assert one.published.value == "2025-02-28" and one.published.inferred.startswith("يقول المقال")
    assert one.body == (3, 6) and one.text.startswith("عنوان المقال الأول\n")
    assert site.sources[1].published.value == "2025-02-27" and site.sources[1].published.inferred == ""
    assert [t.id for t in site.topics] == ["flights", "meetings"]  # file order; site.yaml gives nav order
    assert [p.slug for p in site.pages] == ["about"]


def test_facts_and_citations_remember_their_lines(project):
    root = project()
    site, _ = load(root)
    path = root / "content/topics/meetings.yaml"
    fact = next(f for f in site.facts() if f.id == "delegation-head")
    assert fact.where.line == line_of(path, "- id: delegation-head")
    lines = path.read_text(encoding="utf-8").split("\n")
    citation_line = next(n for n in range(fact.where.line, len(lines)) if "- source: two" in lines[n - 1])
    assert fact.citations[0].where == fact.where.__class__("content/topics/meetings.yaml", citation_line)
    assert fact.entity_ids == ["darchiev"]
    flights = next(f for f in site.facts() if f.id == "flights-proposal")
    assert flights.date.value == "2025-02-27" and flights.date.inferred


def test_dates_stay_strings_not_datetime(project):
    root = project()
    site, _ = load(root)
    assert isinstance(site.sources[1].published.value, str)


def test_unknown_key_suggests_the_known_one(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", "    citations:\n      - source: one",
               "    citation:\n      - source: one")
    _, errors = load(root)
    line = line_of(root / "content/topics/flights.yaml", "citation:")
    assert Error("content/topics/flights.yaml", line, "unknown key 'citation' in a fact (did you mean 'citations'?)") \
        in errors
    fact_line = line_of(root / "content/topics/flights.yaml", "- id: flights-proposal")
    assert Error("content/topics/flights.yaml", fact_line, "a fact is missing the key 'citations'") in errors


def test_wrong_type_names_the_key(project):
    root = project()
    replace_in(root / "site.yaml", "topics: [meetings, flights]", "topics: meetings")
    site, errors = load(root)
    assert site is None
    assert errors == [Error("site.yaml", 7, "'topics' in site.yaml must be a list")]


def test_yaml_syntax_error_has_a_line(project):
    root = project()
    replace_in(root / "content/sources.yaml", 'headline: "عنوان المقال الثاني"', 'headline: "عنوان المقال الثاني')
    _, errors = load(root)
    assert len(errors) == 1 and errors[0].path == "content/sources.yaml" and errors[0].line > 0
    assert errors[0].message.startswith("YAML: ")


def test_page_header_errors_count_lines_from_the_file_start(project):
    root = project()
    replace_in(root / "content/pages/about.md", 'description: "ما هذا الموقع."', 'descripton: "x"')
    _, errors = load(root)
    assert Error("content/pages/about.md", 3, "unknown key 'descripton' in the page header "
                 "(did you mean 'description'?)") in errors


def yaml_shape(value):
    """The data with every recorded line, to compare two loaders."""
    if isinstance(value, dict):
        return ("map", value.line, sorted(((repr(k), value.key_lines[k], yaml_shape(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("seq", value.line, list(value.item_lines), [yaml_shape(v) for v in value])
    return (type(value).__name__, value)


def read_both_ways(text: str):
    """(what the event reader makes of it, what the reference loader makes of it): data with its lines, errors."""
    def shape(parsed):
        data, errors = parsed
        return yaml_shape(data), errors
    return shape(parse_yaml(text, "t.yaml")), shape(parse_yaml(text, "t.yaml", events=False))


TRICKY_YAML = [
    "a: 1\nb: true\nc: ~\nd: 1.5\ne: '1'\nf: 2025-02-27\ng: 0x1f\nh: .inf\ni: [1, no, null, '']\n",
    "\n\ufeff", "a: x\ufeffy\n", "\\0\t", "a: 1\r\nb: [x,\ty]\r\n",     # what libyaml reads otherwise
    "- a\n- {x: 1, y: [2, {z: 3}]}\n-\n- ''\n", "", "# only a comment\n", "key:\n",
    "a: |\n  line one\n  line two\nb: >\n  folded\n  text\n", 'a: "x\\ny"\nb: \'it\'\'s\'\n',
    "a:\n  - b: 1\n    c: 2\n  - 3\n", "1: one\n2.5: two\ntrue: three\n~: four\n",
    "a: !!str 1", "a: &x 1\nb: *x", "<<: {a: 1}", "'<<': 1", "? [a]\n: 1", "a: 1\na: 2", "1: a\ntrue: b\n",
    "--- 1\n--- 2", "a: [1, 2", "a: !custom x", "!!map {a: 1}", "- !!seq [1]\n",
]


def test_event_reader_reads_exactly_what_the_reference_loader_reads():
    from conftest import ROOT

    files = [ROOT / "site.yaml", *sorted((ROOT / "content").rglob("*.yaml")),
             *sorted((ROOT / "tests/fixtures").rglob("*.yaml"))]
    for text in [p.read_text(encoding="utf-8") for p in files] + TRICKY_YAML:
        fast, reference = read_both_ways(text)
        assert fast == reference, text      # what it leaves or refuses, the reference decides


def test_deeply_nested_yaml_is_an_error_not_a_crash(project):
    root = project()
    (root / "content/topics/flights.yaml").write_text("a:\n" + "".join(" " * i + "- x:\n" for i in range(0, 600, 2)))
    _, errors = load(root)
    assert errors and errors[0].path == "content/topics/flights.yaml"


# ---- an edit inside the facts list is read alone (load's `known`): what it reads equals a cold load ----

def reload_after(root, rel: str, old: str, new: str):
    """(previous site, site after the edit, the edited topic in each)."""
    first, errors = load(root)
    assert not errors
    replace_in(root / rel, old, new)
    second, errors = load(root, {t.where.path: t for t in first.topics})
    topic = Path(rel).stem
    return first, second, errors, (next(t for t in s.topics if t.id == topic) for s in (first, second))


def cold_load(root):
    site, errors = load(root)
    return site, errors


def test_an_edit_inside_one_fact_reads_that_fact_alone(project):
    root = project()
    first, second, errors, (before, after) = reload_after(
        root, "content/topics/meetings.yaml", "المحادثات كانت “بناءة”", "المحادثات كانت “بناءة جدًا”")
    assert not errors
    assert second.topics == cold_load(root)[0].topics     # the same content a cold load reads
    assert [f.where for f in after.facts] == [f.where for f in cold_load(root)[0].topics[1].facts]


def test_lines_added_inside_a_fact_read_it_and_the_facts_after_it_again_with_their_new_lines(project):
    root = project()
    _, second, errors, (before, after) = reload_after(
        root, "content/topics/meetings.yaml", "  - id: talks-constructive\n",
        "  - id: talks-constructive\n    # a comment\n")
    assert not errors
    cold = cold_load(root)[0]
    assert second.topics == cold.topics
    assert [(f.where, [c.where for c in f.all_citations()]) for f in second.facts()] == \
        [(f.where, [c.where for c in f.all_citations()]) for f in cold.facts()]


def test_a_new_fact_or_an_edit_of_the_header_is_read_like_a_cold_load(project):
    root = project()
    new_fact = ('  - id: brand-new\n    text: "جديد."\n    citations:\n      - source: one\n'
                '        quote: "يوم الخميس"\n')
    for old, new in (("  - id: delegation-head\n", new_fact + "  - id: delegation-head\n"),
                     ("title: ", "title: \"عنوان آخر\"\nold_title: ")):
        _, second, errors, _ = reload_after(root, "content/topics/meetings.yaml", old, new)
        cold, cold_errors = cold_load(root)
        assert errors == cold_errors
        assert (second.topics if second else None) == (cold.topics if cold else None)


def test_a_broken_edit_inside_a_fact_gives_the_errors_a_cold_load_gives(project):
    root = project()
    for old, new in (("    entities: [darchiev]", "    entities: [darchiev"),
                     ("  - id: talks-constructive\n", "  - id: talks-constructive\n    sumary: x\n"),
                     ("  - id: delegation-head\n", "- id: delegation-head\n"),
                     ("  - id: delegation-head\n", "  - id: delegation-head\n  text: x\n")):
        _, _, errors, _ = reload_after(root, "content/topics/meetings.yaml", old, new)
        assert errors and errors == cold_load(root)[1], (new, errors)
        replace_in(root / "content/topics/meetings.yaml", new, old)
