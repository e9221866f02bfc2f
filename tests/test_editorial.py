"""Issue 13's editorial rules, through build() and build.py: speakers, real disagreements, quotes from the article
body, facts that stand alone (stats warnings), and counts that agree with their nouns in Arabic."""
import re

import pytest

from sitegen import build
from sitegen.model import Error

from helpers import line_of, replace_in
from test_e2e import run

MEETINGS = "content/topics/meetings.yaml"


def errors_of(root):
    return build(root, write_output=False).errors


def add_speaker(root, fact_id: str, speakers: str) -> None:
    replace_in(root / MEETINGS, f"  - id: {fact_id}\n", f"  - id: {fact_id}\n    according_to: [{speakers}]\n")


def test_according_to_names_known_people_or_bodies(project):
    root = project()
    add_speaker(root, "delegation-head", "darchev")
    add_speaker(root, "met-in-istanbul", "round-one")
    path = root / MEETINGS
    assert errors_of(root) == sorted([
        Error(MEETINGS, line_of(path, "according_to: [darchev]"),
              "unknown entity 'darchev' (did you mean 'darchiev'?) in 'according_to'"),
        Error(MEETINGS, line_of(path, "according_to: [round-one]"),
              "'according_to' names who said it: 'round-one' is a meeting, not a person or organization"),
    ])


def test_a_speaker_is_shown_on_the_fact_and_lists_the_claims_on_their_page(project, tmp_path):
    root = project()
    add_speaker(root, "talks-constructive", "darchiev")
    out = tmp_path / "out"
    assert build(root, out).ok
    topic = (out / "topics/meetings/index.html").read_text(encoding="utf-8")
    fact = topic[topic.index('id="talks-constructive"'):]
    fact = fact[:fact.index("</article>")]
    assert re.search(r'<p class="fact-speaker">بحسب <a href="[./]*entities/darchiev/">ألكسندر دارشييف</a></p>', fact)
    person = (out / "entities/darchiev/index.html").read_text(encoding="utf-8")
    claims = person[person.index('id="claims-heading"'):person.index('id="facts-heading"')]
    assert 'id="talks-constructive"' in claims and 'id="delegation-head"' not in claims
    assert person.count('id="talks-constructive"') == 1       # shown once, among the claims


def test_each_variant_names_its_articles(project, tmp_path):
    root = project()
    out = tmp_path / "out"
    assert build(root, out).ok
    page = (out / "disagreements/index.html").read_text(encoding="utf-8")
    assert '<span class="variant-source">في <cite>«عنوان المقال الأول»</cite>:</span>' in page
    assert '<span class="variant-source">في <cite>«عنوان المقال الثاني»</cite>:</span>' in page


def test_variants_must_cite_two_articles_between_them(project):
    root = project()
    replace_in(root / MEETINGS, '''          - source: two
            quote: "ورأس الوفد الروسي ألكسندر دارشييف"
  - id: delegation-head''', '''          - source: one
            quote: "اجتمع الوفدان في إسطنبول"
  - id: delegation-head''')
    line = line_of(root / MEETINGS, "- text: \"المقال الأول")
    assert errors_of(root) == [Error(MEETINGS, line, "'variants' all cite one article (one): sources disagree "
                                     "only when two articles differ; one article's wordings belong in one fact")]


def test_a_quote_outside_the_body_needs_its_part(project, tmp_path):
    root = project()
    replace_in(root / MEETINGS, 'quote: "اجتمع الوفدان في إسطنبول يوم الخميس"', 'quote: "أخبار ذات صلة"')
    line = line_of(root / MEETINGS, 'quote: "أخبار ذات صلة"')     # the quote's own line, not the citation's
    assert errors_of(root) == [Error(MEETINGS, line, "quote is outside the body of one (line 8, body is lines 3-6): "
                                     "quote the article, or say which part this is with 'part:'")]
    replace_in(root / MEETINGS, 'quote: "أخبار ذات صلة"', 'quote: "أخبار ذات صلة"\n        part: byline')
    out = tmp_path / "out"
    assert build(root, out).ok
    assert "(من سطر الكاتب)" in (out / "topics/meetings/index.html").read_text(encoding="utf-8")


def test_part_is_from_a_closed_list_and_only_outside_the_body(project):
    root = project()
    replace_in(root / MEETINGS, 'quote: "اجتمع الوفدان في إسطنبول يوم الخميس"',
               'quote: "اجتمع الوفدان في إسطنبول يوم الخميس"\n        part: footer')
    replace_in(root / MEETINGS, 'quote: "وقال المتحدث إن المحادثات كانت “بناءة”"',
               'quote: "وقال المتحدث إن المحادثات كانت “بناءة”"\n        part: sidebar')
    first = line_of(root / MEETINGS, "part: footer")     # the line of the key that is wrong
    second = line_of(root / MEETINGS, "part: sidebar")
    assert errors_of(root) == sorted([
        Error(MEETINGS, first, "quote is in the body of one (lines 3-6), not its footer: remove 'part'"),
        Error(MEETINGS, second, "'part' must be one of: headline, standfirst, byline, footer (got 'sidebar')"),
    ])


def stats_warnings(root) -> list[str]:
    result = run("--project", root, "stats")
    assert result.returncode == 0, result.stderr
    return result.stdout.split("Warnings: ", 1)[1].splitlines()


def test_stats_warns_on_reported_speech_without_a_speaker(project):
    root = project()
    line = line_of(root / MEETINGS, "- id: talks-constructive")
    assert stats_warnings(root) == ["2"] + [
        f"  {MEETINGS}:{line}: {what} 'talks-constructive' quotes only reported speech («وقال» in one, line 4) "
        "but has no 'according_to'" for what in ("a version of fact", "fact")]
    add_speaker(root, "talks-constructive", "darchiev")
    assert stats_warnings(root) == ["none"]


@pytest.mark.parametrize("text, found", [
    ("ومنها البعثتان التجاريتان في واشنطن ونيويورك.", "opens with «ومنها»"),
    ("يحدّ هذا الحظر من عمل السفارة.", "points back with «هذا الحظر»"),
    ("ترى المقالة نفسها أن الحوار مهم.", "points back with «المقالة نفسها»"),
    ("يسافر الناس منذ ذلك الحين عبر تركيا.", "points back with «منذ ذلك الحين»"),
])
def test_stats_warns_on_a_fact_that_does_not_stand_alone(project, text, found):
    root = project()
    add_speaker(root, "talks-constructive", "darchiev")
    replace_in(root / MEETINGS, 'text: "رأس ألكسندر دارشييف الوفد الروسي."', f'text: "{text}"')
    line = line_of(root / MEETINGS, "- id: delegation-head")
    assert stats_warnings(root) == ["1", f"  {MEETINGS}:{line}: fact 'delegation-head' does not stand alone: "
                                         f"its text {found}"]


def test_quoted_words_do_not_count_as_pointing_back(project):
    root = project()
    add_speaker(root, "talks-constructive", "darchiev")
    replace_in(root / MEETINGS, 'text: "رأس ألكسندر دارشييف الوفد الروسي."',
               'text: "تقول المقالة إن «هذا الحظر» قائم."')
    assert stats_warnings(root) == ["none"]


def test_the_real_site_checks_and_has_no_warnings():
    assert run("check").returncode == 0
    result = run("stats")
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("Warnings: none")


# CLDR for Arabic: zero, one, two, few (3-10), many (11-99), other (100-102, ...).
@pytest.mark.parametrize("count, shown", [
    (0, "لا وقائع موثّقة بعد"), (1, "واقعة موثّقة واحدة"), (2, "واقعتان موثّقتان"), (3, "٣ وقائع موثّقة"),
    (10, "١٠ وقائع موثّقة"), (11, "١١ واقعة موثّقة"), (99, "٩٩ واقعة موثّقة"), (100, "١٠٠ واقعة موثّقة"),
    (102, "١٠٢ واقعة موثّقة"), (103, "١٠٣ وقائع موثّقة"), (111, "١١١ واقعة موثّقة"),
])
def test_counts_agree_with_their_noun(project, tmp_path, count, shown):
    root = project()
    facts = "".join(f'  - id: extra-{i}\n    text: "واقعة."\n    citations:\n      - source: two\n'
                    f'        quote: "بعد بدء الحرب"\n' for i in range(count))
    path = root / "content/topics/flights.yaml"
    head = path.read_text(encoding="utf-8").split("facts:\n")[0]
    path.write_text(head + ("facts:\n" + facts if count else "facts: []\n"), encoding="utf-8")
    out = tmp_path / "out"
    report = build(root, out)
    assert report.ok, report.errors
    home = (out / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<p class="count">([^<]*)</p>', home)
    assert cards[-1] == shown         # flights: the last topic card (after the meeting cards)


def test_counts_of_sources_and_disagreements_agree(project, tmp_path):
    root = project()
    out = tmp_path / "out"
    assert build(root, out).ok
    assert "يستند الموقع إلى مقالتين،" in (out / "sources/index.html").read_text(encoding="utf-8")
    assert "في موضع واحد" in (out / "index.html").read_text(encoding="utf-8")


def test_an_edited_translation_reaches_the_pages_and_an_undone_edit_brings_the_old_one_back(project, tmp_path):
    """The catalog is read again whenever its text changes (what Babel made of it is kept by its hash)."""
    root = project()
    for number, (before, after) in enumerate([("الخط الزمني", "التسلسل الزمني"), ("التسلسل الزمني", "الخط الزمني")]):
        replace_in(root / "templates/messages.po", f'msgid "Timeline"\nmsgstr "{before}"', f'msgid "Timeline"\nmsgstr "{after}"')
        out = tmp_path / f"out{number}"
        assert build(root, out).ok
        assert f"<h1>{after}</h1>" in (out / "timeline/index.html").read_text(encoding="utf-8")


def test_a_string_missing_from_the_catalog_names_the_template_line(project):
    root = project()
    replace_in(root / "templates/home.html", 'ngettext("%(num)s documented fact"', 'ngettext("%(num)s documented facts"')
    line = line_of(root / "templates/home.html", "%(num)s documented facts\"")
    errors = errors_of(root)
    assert [(e.path, e.line) for e in errors] == [("templates/home.html", line)]
    assert "in templates/messages.po" in errors[0].message


def test_backlink_letters_come_from_the_catalog(project, tmp_path):
    """The letters that tell apart the places one article is cited (أ ب ج…) are interface text: messages.po's."""
    root = project()
    out = tmp_path / "out"
    assert build(root, out).ok
    page = (out / "entities/darchiev/index.html").read_text(encoding="utf-8")
    assert re.findall(r'class="letter">([^<]*)<', page) == ["أ", "ب", "ج"]
    replace_in(root / "templates/messages.po", 'msgstr "أبجدهوزحطيكلمنسعفصقرشتثخذضظغ"', 'msgstr "اب"')
    assert build(root, out).ok
    page = (out / "entities/darchiev/index.html").read_text(encoding="utf-8")
    assert re.findall(r'class="letter">([^<]*)<', page) == ["ا", "ب", "اا"]     # past the last: two letters
