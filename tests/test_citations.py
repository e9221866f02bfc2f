"""Stage 3: every quote is found in its article, with offsets and paragraph; a missing one names the closest
passage; facts.json lets anyone check each quote against the seed file."""
import json

from sitegen import build
from sitegen.citations import resolve_citations
from sitegen.load import load
from sitegen.model import Error, plain
from sitegen.validate import validate

from helpers import line_of, replace_in


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
    parts = [p for p in errors[0].parts if p[0]]
    assert parts == [("quote", "only in the quote"), ("article", "only in the article"),
                     ("same", "واقترحت روسيا استئناف الرحلات"), ("article", "الجوية"),
                     ("same", "المباشرة بين البلدين عبر"), ("quote", "تركيا"), ("article", "Türkiye")]
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
