"""What became of each matter (issue 17): `status`, `meeting`, `detail` and `issue` on facts, checked at file:line
(a status stands only on a quote holding one of its markers), and the pages built from them: the home page's
answer meeting by meeting, meeting pages, and the issues page between the rounds; fixture and real site."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import ROOT
from helpers import line_of, replace_in
from sitegen import build
from sitegen.load import load
from sitegen.model import Error
from sitegen.status import MARKERS
from sitegen.validate import validate

FLIGHTS, MEETINGS = "content/topics/flights.yaml", "content/topics/meetings.yaml"


def errors_of(root):
    site, errors = load(root)
    assert errors == [], errors
    return sorted(validate(site))


def built(root, tmp_path):
    report = build(root, tmp_path / "out")
    assert report.ok, report.errors
    return lambda path: (tmp_path / "out" / path).read_text(encoding="utf-8")


def text_of(html: str) -> str:
    """The page's visible words in one line: tags and what the markers open removed."""
    html = re.sub(r'<span class="note">.*?</details>', "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, ident: str) -> str:
    start = html.index(">", html.index(f'aria-labelledby="{ident}"')) + 1
    return html[start:html.index("</section>", start)]


# --- checked at file:line -------------------------------------------------------------------------------------

def test_a_status_outside_the_list_is_an_error_at_its_line(project):
    root = project("answer")
    replace_in(root / FLIGHTS, "status: proposed", "status: propsed")
    assert errors_of(root) == [Error(FLIGHTS, line_of(root / FLIGHTS, "status: propsed"),
                                     "status 'propsed' must be one of: agreed, proposed, discussed, unresolved, "
                                     "rejected")]


def test_a_status_needs_a_quote_holding_one_of_its_markers(project):
    root = project("answer")
    replace_in(root / FLIGHTS, "status: proposed", "status: agreed")
    [error] = errors_of(root)
    assert (error.path, error.line) == (FLIGHTS, line_of(root / FLIGHTS, "status: agreed"))
    assert error.message.startswith("status 'agreed' needs a quote that says so: none of its quotes contains «اتفق»")
    # the quote says «اقترحت»: words an editor adds in site.yaml count as markers of that status
    (root / "site.yaml").write_text((root / "site.yaml").read_text(encoding="utf-8")
                                    + 'status_markers:\n  agreed: ["واقترحت روسيا"]\n', encoding="utf-8")
    assert errors_of(root) == []


def test_status_markers_name_a_status(project):
    root = project("answer")
    replace_in(root / "site.yaml", "issues:", 'status_markers:\n  agred: ["x"]\nissues:')
    assert errors_of(root) == [Error("site.yaml", line_of(root / "site.yaml", "status_markers:"),
                                     "'status_markers' names a status: 'agred' is not one of agreed, proposed, "
                                     "discussed, unresolved, rejected")]
    assert "اقترح" in MARKERS["proposed"]


def test_each_version_may_carry_its_status_checked_against_its_own_quotes(project):
    root = project("answer")
    replace_in(root / MEETINGS, '      - text: "المقال الأول: «بناءة»."\n',
               '      - text: "المقال الأول: «بناءة»."\n        status: agreed\n')
    replace_in(root / MEETINGS, "  - id: talks-constructive\n", "  - id: talks-constructive\n    meeting: round-one\n")
    assert errors_of(root) == [Error(MEETINGS, line_of(root / MEETINGS, "المقال الأول:"),
                                     "status 'agreed' needs a quote that says so: none of its quotes contains "
                                     + ", ".join(f"«{w}»" for w in MARKERS["agreed"])
                                     + " (more words: site.yaml 'status_markers')")]


def test_meeting_detail_and_issue_name_what_exists(project):
    root = project("answer")
    replace_in(root / FLIGHTS, "meeting: round-one", "meeting: darchiev")
    replace_in(root / FLIGHTS, "  - id: flights-suspended\n    issue: flights", "  - id: flights-suspended\n    issue: fligts")
    replace_in(root / MEETINGS, "detail: place", "detail: venue")
    assert errors_of(root) == [
        Error(FLIGHTS, line_of(root / FLIGHTS, "meeting: darchiev"),
              "'meeting' must be an entity of kind meeting (got 'darchiev')"),
        Error(FLIGHTS, line_of(root / FLIGHTS, "issue: fligts"), "unknown issue 'fligts' (known: flights)"),
        Error(MEETINGS, line_of(root / MEETINGS, "detail: venue"),
              "'detail' must be one of: date, place, heads (got 'venue')"),
    ]


def test_a_status_belongs_to_a_meeting(project):
    root = project("answer")
    replace_in(root / FLIGHTS, "    meeting: round-one\n", "")
    assert errors_of(root) == [Error(FLIGHTS, line_of(root / FLIGHTS, "status: proposed"),
                                     "a fact with a status names its 'meeting'")]


def test_check_prints_the_status_error_and_writes_nothing(project):
    root = project("answer")
    replace_in(root / FLIGHTS, "status: proposed", "status: rejected")
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(root), "check"],
                            capture_output=True, text=True, timeout=120)
    line = line_of(root / FLIGHTS, "status: rejected")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(f"{FLIGHTS}:{line}: status 'rejected' needs a quote that says so")


# --- the pages ------------------------------------------------------------------------------------------------

def test_home_page_answers_meeting_by_meeting_with_links_markers_and_counts(project, tmp_path):
    root = project("answer")
    replace_in(root / MEETINGS, '      - text: "المقال الأول: «بناءة»."\n',
               '      - text: "المقال الأول: «بناءة»."\n        status: discussed\n')
    (root / "site.yaml").write_text((root / "site.yaml").read_text(encoding="utf-8")
                                    + 'status_markers:\n  discussed: ["بناءة"]\n', encoding="utf-8")
    replace_in(root / MEETINGS, "  - id: talks-constructive\n", "  - id: talks-constructive\n    meeting: round-one\n")
    replace_in(root / MEETINGS, "  - id: darchiev\n", "  - id: round-two\n    kind: meeting\n    name: \"جولة بلا وقائع\"\n"
               "    names: []\n  - id: darchiev\n")
    page = built(root, tmp_path)
    home = page("index.html")
    proposed = section(home, "answer-proposed")
    assert text_of(proposed).startswith("ما اقتُرح (بند واحد) الجولة الأولى في إسطنبول اقترحت روسيا استئناف الرحلات")
    assert '<a href="topics/flights/#flights-proposal">' in proposed and '<summary id="cite-' in proposed
    assert 'href="entities/round-one/"' in proposed
    disputed = section(home, "answer-disputed")
    assert "ما تختلف فيه المصادر (بند واحد)" in text_of(disputed)
    assert "طُرح للنقاش المقال الأول: «بناءة»." in text_of(disputed)
    for absent in ("answer-agreed", "answer-unresolved", "answer-rejected"):
        assert absent not in home                      # no heading over an empty list
    assert '<section class="references"' in home      # the markers' references are on the page
    # a card for the meeting with facts, none for the one without; its count agrees with its noun
    cards = section(home, "meetings-heading")
    assert cards.count('<li class="card">') == 1 and "٤ وقائع" in text_of(cards)
    assert "جولة بلا وقائع" not in home and "جولة بلا وقائع" in page("entities/index.html")


def test_a_meeting_page_shows_its_details_its_answer_and_no_fact_twice(project, tmp_path):
    root = project("answer")
    page = built(root, tmp_path)
    meeting = page("entities/round-one/index.html")
    details = text_of(section(meeting, "details-heading"))
    assert "المكان اجتمع الوفدان في إسطنبول" in details and "الوفدان رأس ألكسندر دارشييف" in details
    assert "ما اقتُرح (بند واحد)" in text_of(section(meeting, "answer-proposed"))
    facts = re.findall(r'<article class="fact" id="([^"]+)"', meeting)
    assert {"met-in-istanbul", "delegation-head"} <= set(facts) and "flights-proposal" not in facts
    ids = re.findall(r' id="([^"]+)"', meeting)
    assert len(ids) == len(set(ids))                   # each citation marked once, each fact shown once


def test_the_issues_page_follows_each_issue_from_background_to_each_meeting(project, tmp_path):
    root = project("answer")
    page = built(root, tmp_path)
    issues = page("issues/index.html")
    flights = text_of(section(issues, "issue-flights-heading"))
    assert flights.index("في الخلفية") < flights.index("عُلّقت الرحلات") < flights.index("الجولة الأولى في إسطنبول")
    assert flights.index("الجولة الأولى في إسطنبول") < flights.index("اقتُرح") < flights.index("اقترحت روسيا")
    assert 'href="issues/"' in page("index.html")     # reached from the navigation and the answer


def test_facts_json_carries_status_meeting_detail_and_issue(project, tmp_path):
    root = project("answer")
    page = built(root, tmp_path)
    data = json.loads(page("data/facts.json"))
    facts = {f["id"]: f for f in data["facts"]}
    assert (facts["flights-proposal"]["status"], facts["flights-proposal"]["meeting"],
            facts["flights-proposal"]["issue"]) == ("proposed", "round-one", "flights")
    assert facts["met-in-istanbul"]["detail"] == "place" and data["site"]["issues"] == {"flights": "الرحلات"}


# --- the real site ------------------------------------------------------------------------------------------

def test_the_real_home_page_answers_with_every_status_of_the_content(real_site):
    data = json.loads((real_site / "data/facts.json").read_text(encoding="utf-8"))
    home = (real_site / "index.html").read_text(encoding="utf-8")
    by_status: dict[str, list] = {}
    for f in data["facts"]:
        if f["status"]:
            by_status.setdefault(f["status"], []).append(f)
    assert {"agreed", "proposed", "unresolved"} <= set(by_status)
    for status, facts in by_status.items():
        listed = section(home, f"answer-{status}")
        for f in facts:
            assert f'#{f["id"]}"' in listed, (status, f["id"])
    disputed = [f for f in data["facts"] if any(v["status"] for v in f["variants"])]
    assert disputed and all(f'#{f["id"]}"' in section(home, "answer-disputed") for f in disputed)
    # the four headings the site's title asks for, in this order, under the introduction
    order = [home.index(h) for h in ("ما اتُّفق عليه", "ما اقتُرح", "ما بقي عالقًا", "ما تختلف فيه المصادر")]
    assert home.index('class="lede"') < order[0] and order == sorted(order)
    for meeting in ("riyadh-meeting", "istanbul-round-1", "istanbul-round-2", "planned-next-round"):
        assert f'href="entities/{meeting}/"' in section(home, "meetings-heading")


def test_docs_list_every_built_in_marker_and_status():
    docs = (ROOT / "docs/content.md").read_text(encoding="utf-8")
    for status, words in MARKERS.items():
        row = next(line for line in docs.splitlines() if line.startswith(f"  | `{status}` |"))
        assert all(f"«{w}»" in row for w in words), status
