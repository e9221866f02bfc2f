"""Stage 3: every quote is found in its article, with offsets and paragraph; a missing one names the closest
passage; facts.json lets anyone check each quote against the seed file."""
import json
import re
import unicodedata

import pytest

from sitegen import build
from sitegen.citations import resolve_citations
from sitegen.load import load
from sitegen.model import Error, plain
from sitegen.validate import validate

from sitegen.serve import error_page

from helpers import line_of, replace_in
from test_e2e import run


LEGEND = "closest passage ({}; [-only in the quote-] {{+only in the article+}}): "


def check_errors(root):
    return build(root, write_output=False).errors


def resolved(root):
    site, errors = load(root)
    assert errors == [] and validate(site) == []
    return site, resolve_citations(site)


def citation(site, fact_id, index=0):
    return next(f for f in site.facts() if f.id == fact_id).citations[index]


def test_offsets_slice_the_quote_out_of_the_seed(project):
    site, errors = resolved(project())
    assert errors == []
    text = site.sources[0].text
    c = citation(site, "met-in-istanbul")
    assert text[c.start:c.end] == c.quote == "اجتمع الوفدان في إسطنبول يوم الخميس"
    assert c.paragraph == 3 and c.anchor == f"q-{c.start}-{c.end}"


def test_a_quote_may_span_a_line_break(project):
    site, errors = resolved(project())
    assert errors == []
    c = citation(site, "flights-suspended")
    text = site.sources[1].text
    assert text[c.start:c.end] == "وكانت الرحلات الجوية قد علقت عام 2022\nبعد بدء الحرب"
    assert c.paragraph == 4


def test_typographic_marks_must_match_exactly(project):
    root = project()
    replace_in(root / "content/topics/meetings.yaml", "المحادثات كانت “بناءة”\"", "المحادثات كانت \\\"بناءة\\\"\"")
    site, errors = resolved(root)
    line = line_of(root / "content/topics/meetings.yaml", 'كانت \\"بناءة')
    assert errors == [Error("content/topics/meetings.yaml", line,
                            f"quote not found in one; {LEGEND.format('seeds/one.txt line 4')}"
                            "«وقال المتحدث إن المحادثات كانت [-\"بناءة\"-]{+“بناءة”+}»; "
                            "the quote differs from the article only in punctuation; the 6th word «\"بناءة\"» has "
                            "\" (U+0022 QUOTATION MARK) in the quote where the article has “ (U+201C LEFT DOUBLE "
                            "QUOTATION MARK), \" (U+0022 QUOTATION MARK) in the quote where the article has ” "
                            "(U+201D RIGHT DOUBLE QUOTATION MARK)")]


def test_a_missing_quote_marks_the_words_that_differ_from_the_closest_passage(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", "استئناف الرحلات الجوية المباشرة بين البلدين عبر Türkiye",
               "استئناف الرحلات المباشرة بين البلدين عبر تركيا")
    site, errors = resolved(root)
    line = line_of(root / "content/topics/flights.yaml", "عبر تركيا")    # the quote's line, not the citation's
    assert errors == [Error("content/topics/flights.yaml", line,
                            f"quote not found in one; {LEGEND.format('seeds/one.txt line 5')}"
                            "«واقترحت روسيا استئناف الرحلات {+الجوية+} المباشرة بين البلدين عبر "
                            "[-تركيا-]{+Türkiye+}»")]
    # the same words, as data, for the preview to mark up
    assert [kind for kind, _ in errors[0].parts] == ["", "", "quote", "", "article", "", "passage"]
    assert dict(errors[0].parts)["passage"] == (
        ("same", "واقترحت روسيا استئناف الرحلات"), ("same", " "), ("article", "الجوية"), ("same", " "),
        ("same", "المباشرة بين البلدين عبر"), ("same", " "), ("quote", "تركيا"), ("article", "Türkiye"))
    assert plain(errors[0].parts) == errors[0].message


def test_the_closest_passage_follows_the_quote_across_a_line_break(project):
    root = project()
    replace_in(root / "content/topics/flights.yaml", "وكانت الرحلات الجوية قد علقت عام 2022 بعد بدء الحرب",
               "وكانت الرحلات قد علقت عام 2022 بعد بدء الحرب")
    (error,) = check_errors(root)
    assert error.message == (f"quote not found in two; {LEGEND.format('seeds/two.txt lines 4-5')}"
                             "«وكانت الرحلات {+الجوية+} قد علقت عام 2022 بعد بدء الحرب»")


def test_a_quote_found_twice_resolves_to_its_first_place_in_the_body(project):
    root = project()
    seed = root / "seeds/one.txt"
    seed.write_text("اجتمع الوفدان في إسطنبول يوم الخميس\n" + seed.read_text(encoding="utf-8"), encoding="utf-8")
    replace_in(root / "content/sources.yaml", "body: [3, 6]", "body: [4, 7]")
    replace_in(root / "content/sources.yaml", 'headline: "عنوان المقال الأول"', 'headline: "اجتمع الوفدان"')
    site, errors = resolved(root)
    assert errors == []
    assert citation(site, "met-in-istanbul").paragraph == 4  # not line 1, which is outside the body
    # the same words quoted twice in the body resolve to the first
    c = citation(site, "talks-constructive")
    assert c.paragraph == 5


def test_facts_json_offsets_reproduce_every_quote(project):
    root = project()
    report = build(root)
    assert report.ok, report.errors
    check_facts_json(report.out_dir, root)


def test_real_site_facts_json_offsets_reproduce_every_quote(real_site):
    from conftest import ROOT
    count = check_facts_json(real_site, ROOT)
    assert count >= 100


def check_facts_json(out_dir, root) -> int:
    data = json.loads((out_dir / "data/facts.json").read_text(encoding="utf-8"))
    seeds = {s["id"]: (root / s["seed"]).read_text(encoding="utf-8") for s in data["sources"]}
    cites = [c for f in data["facts"] for c in f["citations"] + [c for v in f["variants"] for c in v["citations"]]]
    cites += [c for e in data["entities"] for v in e["names"] + e["roles"] for c in v["citations"]]
    for c in cites:
        passage = seeds[c["source"]][c["start"]:c["end"]]
        assert " ".join(passage.split()) == " ".join(c["quote"].split()), c
        if "\n" not in passage:
            assert passage == c["quote"].strip(), c
    return len(cites)


# ---- quote errors: at the quote's own line, whatever the YAML style, with what differs named ----

FLIGHTS = "content/topics/flights.yaml"
PROPOSAL = """      - source: one
        quote: "واقترحت روسيا استئناف الرحلات الجوية المباشرة بين البلدين عبر Türkiye"
"""
WRONG = "واقترحت روسيا استئناف الرحلات المباشرة بين البلدين عبر Türkiye"   # a word dropped


@pytest.mark.parametrize("style", [
    f'      - source: one\n        quote: "{WRONG}"\n',                                  # block
    f'      - {{source: one, quote: "{WRONG}"}}\n',                                       # flow, one line
    f'      - {{source: one,\n         quote: "{WRONG}"}}\n',                               # flow, two lines
    f'      - quote: "{WRONG}"\n        source: one\n',                                   # quote first
    '      - source: one\n        quote: >-\n          واقترحت روسيا استئناف\n'            # folded, multi-line
    '          الرحلات المباشرة بين البلدين عبر Türkiye\n',
    '      - source: one\n        quote: "واقترحت روسيا استئناف\n'                         # quoted, multi-line
    '          الرحلات المباشرة بين البلدين عبر Türkiye"\n',
    '      - source: one\n\n        # the words as the article has them\n        quote: |-\n'
    '          واقترحت روسيا استئناف الرحلات\n          المباشرة بين البلدين عبر Türkiye\n',
], ids=["block", "flow", "flow-two-lines", "quote-first", "folded", "quoted-multi-line", "literal-after-comment"])
def test_a_quote_error_names_the_line_of_the_quote_key_in_every_yaml_style(project, style):
    root = project()
    replace_in(root / FLIGHTS, PROPOSAL, style)
    (error,) = check_errors(root)
    assert (error.path, error.line) == (FLIGHTS, line_of(root / FLIGHTS, "quote:"))
    assert error.message == (f"quote not found in one; {LEGEND.format('seeds/one.txt line 5')}"
                             "«واقترحت روسيا استئناف الرحلات {+الجوية+} المباشرة بين البلدين عبر Türkiye»")


def test_other_citation_errors_name_the_key_that_is_wrong(project):
    root = project()
    replace_in(root / FLIGHTS, PROPOSAL, '      - {quote: "واقترحت روسيا",\n         source: oen,\n'
                                         '         part: sidebar}\n')
    assert [str(e) for e in check_errors(root)] == [
        f"{FLIGHTS}:{line_of(root / FLIGHTS, 'source: oen')}: unknown source 'oen' (did you mean 'one'?)",
        f"{FLIGHTS}:{line_of(root / FLIGHTS, 'part: sidebar')}: 'part' must be one of: headline, standfirst, "
        "byline, footer (got 'sidebar')"]
    replace_in(root / FLIGHTS, '"واقترحت روسيا",\n         source: oen', '"",\n         source: one')
    assert [str(e) for e in check_errors(root)] == [
        f"{FLIGHTS}:{line_of(root / FLIGHTS, 'quote: ')}: 'quote' in a citation must be non-empty text"]


MET = "اجتمع الوفدان في إسطنبول يوم الخميس"
MEETINGS = "content/topics/meetings.yaml"


def met_quote(root, quote: str) -> Error:
    """The one error of the basic project with the quote of fact met-in-istanbul replaced (YAML escapes allowed)."""
    replace_in(root / MEETINGS, f'quote: "{MET}"', f'quote: "{quote}"')
    errors = check_errors(root)
    assert [e.line for e in errors] == [line_of(root / MEETINGS, f'quote: "{quote}"')] * len(errors), errors
    return errors[-1]


ONLY_INVISIBLE = "the quote differs from the article only in invisible characters; "


@pytest.mark.parametrize("quote, shown, note", [
    (r"اجتمع الوفدان في\u200b إسطنبول", "في<U+200B>",
     "U+200B (ZERO WIDTH SPACE) only in the quote, after the 3rd word"),
    (r"اجتمع الوفدان في \u200b إسطنبول", "<U+200B>",
     "U+200B (ZERO WIDTH SPACE) only in the quote, after the 3rd word"),
    (r"\u200fاجتمع الوفدان في إسطنبول", "<U+200F>اجتمع",
     "U+200F (RIGHT-TO-LEFT MARK) only in the quote, before the first word"),
    (r"اجتمع الوفدان في إسطنبول\u200e", "إسطنبول<U+200E>",
     "U+200E (LEFT-TO-RIGHT MARK) only in the quote, after the 4th word"),
    (r"اجتمع الوفدان\u061c في إسطنبول", "الوفدان<U+061C>",
     "U+061C (ARABIC LETTER MARK) only in the quote, after the 2nd word"),
    (r"اجتمع الوف\u200cدان في إسطنبول", "الوف<U+200C>دان",
     "U+200C (ZERO WIDTH NON-JOINER) only in the quote, inside the 2nd word, after «الوف»"),
    (r"اجتمع الوف\u200dدان في إسطنبول", "الوف<U+200D>دان",
     "U+200D (ZERO WIDTH JOINER) only in the quote, inside the 2nd word, after «الوف»"),
    (r"اجتمع الوفدان في إسطن\u00adبول", "إسطن<U+00AD>بول",
     "U+00AD (SOFT HYPHEN) only in the quote, inside the 4th word, after «إسطن»"),
    (r"\ufeffاجتمع الوفدان في إسطنبول", "<U+FEFF>اجتمع",
     "U+FEFF (ZERO WIDTH NO-BREAK SPACE) only in the quote, before the first word"),
    (r"اجتمع الوفدان\u2060 في إسطنبول", "الوفدان<U+2060>",
     "U+2060 (WORD JOINER) only in the quote, after the 2nd word"),
    (r"اجتمع \u2067الوفدان\u2069 في إسطنبول", "<U+2067>الوفدان<U+2069>",   # an isolate, closed
     "U+2067 (RIGHT-TO-LEFT ISOLATE) only in the quote, after the 1st word; "
     "U+2069 (POP DIRECTIONAL ISOLATE) only in the quote, after the 2nd word"),
], ids=["zwsp-after-word", "zwsp-alone", "rlm", "lrm", "alm", "zwnj", "zwj", "soft-hyphen", "bom", "word-joiner",
        "isolate"])
def test_an_invisible_character_is_named_by_code_point_and_place(project, quote, shown, note):
    error = met_quote(project(), quote)
    assert f"[-{shown}-]" in error.message      # shown where it is, never printed raw
    assert error.message.endswith("»; " + ONLY_INVISIBLE + note)
    assert not any(unicodedata.category(c) == "Cf" for c in str(error))


def test_a_bidi_embedding_in_a_quote_is_refused_at_the_quote_line(project):
    root = project()
    replace_in(root / MEETINGS, f'quote: "{MET}"', r'quote: "اجتمع \u202bالوفدان في إسطنبول"')
    line = line_of(root / MEETINGS, "quote: \"اجتمع \\u202b")
    assert [str(e) for e in check_errors(root)] == [
        f"{MEETINGS}:{line}: U+202B (RIGHT-TO-LEFT EMBEDDING) is not allowed in text; remove it"]


@pytest.mark.parametrize("space", [r"\u00a0", r"\u2009", r"\u202f", r"\u3000", r"\u2002"])
def test_a_space_of_any_kind_counts_as_a_space(project, space):
    root = project()
    replace_in(root / MEETINGS, f'quote: "{MET}"', f'quote: "اجتمع الوفدان{space}في إسطنبول"')
    assert check_errors(root) == []


LETTERS = "the quote differs from the article only in Arabic letter forms"


@pytest.mark.parametrize("fact_quote, quote, end", [
    (MET, "اجتمع الوفدان فى إسطنبول", f"{LETTERS}; the 3rd word «فى» has ى (U+0649 ARABIC LETTER ALEF MAKSURA) "
                                      "in the quote where the article has ي (U+064A ARABIC LETTER YEH)"),
    (MET, "اجتمع الوفدان فی إسطنبول", f"{LETTERS}; the 3rd word «فی» has ی (U+06CC ARABIC LETTER FARSI YEH) "
                                      "in the quote where the article has ي (U+064A ARABIC LETTER YEH)"),
    (MET, "اجتمع الوفدان في اسطنبول", f"{LETTERS}; the 4th word «اسطنبول» has ا (U+0627 ARABIC LETTER ALEF) "
                                      "in the quote where the article has إ (U+0625 ARABIC LETTER ALEF WITH HAMZA "
                                      "BELOW)"),
    ("المحادثات كانت “بناءة”، وإن جولة جديدة", "المحادثات كانت “بناءة”، وإن جوله جديدة",
     f"{LETTERS}; the 5th word «جوله» has ه (U+0647 ARABIC LETTER HEH) in the quote where the article has ة "
     "(U+0629 ARABIC LETTER TEH MARBUTA)"),
    (MET, "اجتمع الوفدانِ في إسطنبول", "the quote differs from the article only in diacritics; the 2nd word "
                                      "«الوفدانِ» has U+0650 (ARABIC KASRA) only in the quote"),
    ("عُقد اللقاء في 27 فبراير 2025 في إسطنبول", "عقد اللقاء في 27 فبراير",
     "the quote differs from the article only in diacritics; the 1st word «عقد» has U+064F (ARABIC DAMMA) only "
     "in the article"),
    ("عُقد اللقاء في 27 فبراير 2025 في إسطنبول", "عُقد اللقاء في ٢٧ فبراير",
     "the quote differs from the article only in digits; the 4th word «٢٧» has ٢٧ (U+0662 ARABIC-INDIC DIGIT "
     "TWO + U+0667 ARABIC-INDIC DIGIT SEVEN) in the quote where the article has 27 (U+0032 DIGIT TWO + U+0037 "
     "DIGIT SEVEN)"),
    (MET, "اجتمـع الوفدان في إسطنبول", "the quote differs from the article only in tatweel; the 1st word «اجتمـع» "
                                      "has ـ (U+0640 ARABIC TATWEEL) only in the quote"),
    (MET, "اجتمع الوفدانِ فى إسطنبول", "the quote differs from the article only in Arabic letter forms and "
                                      "diacritics; the 2nd word «الوفدانِ» has U+0650 (ARABIC KASRA) only in the "
                                      "quote; the 3rd word «فى» has ى (U+0649 ARABIC LETTER ALEF MAKSURA) in the "
                                      "quote where the article has ي (U+064A ARABIC LETTER YEH)"),
], ids=["alef-maksura", "farsi-yeh", "hamza", "teh-marbuta", "kasra", "damma-in-article", "digits", "tatweel",
        "letters-and-marks"])
def test_a_quote_that_differs_only_in_spelling_says_so(project, fact_quote, quote, end):
    root = project()
    topic = MEETINGS
    replace_in(root / topic, f'quote: "{fact_quote}"', f'quote: "{quote}"')
    errors = check_errors(root)
    assert [(e.line, e.message.rsplit("»; ", 1)[1]) for e in errors] == [
        (line_of(root / topic, f'quote: "{quote}"'), end)]


def test_a_quote_with_nothing_like_it_still_names_a_passage(project):
    error = met_quote(project(), "نص لا يشبه شيئا")
    assert error.message.startswith("quote not found in one; closest passage (seeds/one.txt line")
    assert "[-نص لا يشبه شيئا-]{+" in error.message


def test_check_prints_each_quote_error_on_one_line_without_colour(project):
    root = project()
    replace_in(root / MEETINGS, f'quote: "{MET}"', 'quote: "اجتمع الوفدان\\nفى\\u200b إسطنبول"')
    result = run("--project", root, "check")
    assert result.returncode == 1
    line = line_of(root / MEETINGS, 'quote: "اجتمع الوفدان')
    assert result.stderr.splitlines()[0] == (
        f"{MEETINGS}:{line}: quote not found in one; {LEGEND.format('seeds/one.txt line 3')}«اجتمع الوفدان "
        "[-فى<U+200B>-]{+في+} إسطنبول»; the quote differs from the article only in Arabic letter forms and "
        "invisible characters; U+200B (ZERO WIDTH SPACE) only in the quote, after the 3rd word; the 3rd word "
        "«فى<U+200B>» has ى (U+0649 ARABIC LETTER ALEF MAKSURA) in the quote where the article has ي (U+064A "
        "ARABIC LETTER YEH)")
    assert "\x1b" not in result.stderr + result.stdout


def test_the_preview_error_page_marks_the_words_that_differ(project):
    root = project()
    replace_in(root / MEETINGS, f'quote: "{MET}"', 'quote: "اجتمع الوفدين في إسطنبول"')
    page = error_page(check_errors(root)).decode("utf-8")
    item = re.search(r"<li dir=\"ltr\">(.*?)</li>", page, re.S).group(1)
    assert "<del>only in the quote</del> <ins>only in the article</ins>" in item
    assert '<bdi dir="rtl" lang="ar">«اجتمع <del>الوفدين</del><ins>الوفدان</ins> في إسطنبول»</bdi>' in item
    assert "[-" not in item and "{+" not in item


def test_a_quote_cited_from_the_wrong_article_names_the_article_that_has_it(project):
    root = project()
    replace_in(root / MEETINGS, f"- source: one\n        quote: \"{MET}\"", f"- source: two\n        quote: \"{MET}\"")
    (error,) = check_errors(root)
    assert (error.line, error.message) == (
        line_of(root / MEETINGS, f'quote: "{MET}"'),
        "quote not found in two, but it is in one (seeds/one.txt line 3): cite source 'one'")
