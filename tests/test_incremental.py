"""The preview's rebuilds equal cold builds: random sequences of edits, each followed by the preview's own
incremental build and, when it succeeds, a comparison of its whole output folder with a cold build, byte for byte."""
from __future__ import annotations

import resource
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conftest import copy_project
from helpers import replace_in, tree
from sitegen import build
from sitegen.reuse import Reuse
from sitegen.serve import Preview

URL = "http://127.0.0.1:8000/"
FLIGHTS = "content/topics/flights.yaml"
MEETINGS = "content/topics/meetings.yaml"
QUOTES = [  # verbatim passages of the fixture's seeds
    ("one", "واقترحت روسيا استئناف الرحلات الجوية المباشرة بين البلدين عبر Türkiye"),
    ("one", "اجتمع الوفدان في إسطنبول يوم الخميس"),
    ("one", "وقال المتحدث إن المحادثات كانت “بناءة”"),
    ("two", "وكانت الرحلات الجوية قد علقت عام 2022 بعد بدء الحرب"),
    ("two", "ورأس الوفد الروسي ألكسندر دارشييف"),
    ("two", "عُقد اللقاء في 27 فبراير 2025 في إسطنبول"),
]
WORDS = ["اقترحت", "روسيا", "الرحلات", "السفارة", "الوفد", "بناءة", "Türkiye", "2025", "**مهم**", "إسطنبول"]
DATES = [None, "2022", "2025", "2025-02", "2025-02-27", "2025-03-01", {"value": "2025-02-28", "inferred": "استنتاج."}]
ENTITY_READS = "<p class=\"count\">{{ look.topics[entity.topic_id].facts|length }}</p>\n{% endblock %}"
DARCHIEV = 'name: "ألكسندر دارشييف"'
# Template edits, each made or undone: (template, text, what it becomes). Fragments and pages read templates as
# keys, and pages read a fragment's output: each edit must re-render exactly what it changes.
TEMPLATE_EDITS = {
    "fact comment": ("partials/fact.html", '<article class="fact"', '{# a note #}<article class="fact"'),
    "fact class": ("partials/fact.html", '<article class="fact"', '<article class="fact edited"'),
    "fact reads more": ("partials/fact.html", "</article>", "<i>{{ look.topics[f.topic_id].facts|length }}</i></article>"),
    "topic line": ("partials/fact.html", '<p class="fact-meta"><span>{{ _("Topic:") }}',
                   '<p class="fact-meta topic"><span>{{ _("Topic:") }}'),
    "dates": ("partials/citation.html", '<time datetime=', '<time class="d" datetime='),
    "optional part": ("entity.html", "{{ references() }}", '{% include "partials/extra.html" ignore missing %}{{ references() }}'),
}


def fact(ident: str, text: str, quote: int, date=None, entities=()) -> dict:
    source, words = QUOTES[quote]
    item = {"id": ident, "text": text}
    if date is not None:
        item["date"] = date
    if entities:
        item["entities"] = list(entities)
    item["citations"] = [{"source": source, "quote": words}]
    return item


@contextmanager
def no_room_to_write():
    """Files of more than a few bytes cannot be written for a moment: a real write failure, even for root."""
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


class Editing(RuleBasedStateMachine):
    """An editor at work on a small project while the preview rebuilds after every save."""

    @initialize()
    def start(self):
        self.work = Path(tempfile.mkdtemp(prefix="incremental-"))
        self.root = copy_project("basic", self.work / "project")
        self.out = self.work / "preview"
        self.facts = [fact("flights-proposal", "اقترحت روسيا استئناف الرحلات المباشرة.", 0, "2025-02-27"),
                      fact("flights-suspended", "عُلّقت الرحلات الجوية عام 2022.", 3, "2022")]
        self.seeds = {name: (self.root / "seeds" / name).read_text(encoding="utf-8") for name in ("one.txt", "two.txt")}
        self.made = 0
        self.reuse = Reuse()
        self.save_facts()
        self.set_page_size("facts_per_page", 2)   # adding, removing and moving facts moves them across pages
        self.ok = False     # whether the last rebuild succeeded

    def teardown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    # --- what the editor does ---
    def save_facts(self):
        data = {"title": "الرحلات الجوية", "summary": "الرحلات المعلّقة واقتراح استئنافها.", "facts": self.facts}
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        (self.root / FLIGHTS).write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str):
        path = self.root / rel
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    @rule(i=st.integers(0, 20), words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
    def edit_text(self, i, words):
        item = self.facts[i % len(self.facts)]
        item.pop("txet", None)
        item["text"] = " ".join(words) + "."
        self.save_facts()

    @rule(i=st.integers(0, 20), date=st.sampled_from(DATES))
    def edit_date(self, i, date):
        edited = {}
        for key, value in self.facts[i % len(self.facts)].items():
            if key != "date":
                edited[key] = value
            if key in ("text", "txet") and date is not None:
                edited["date"] = date
        self.facts[i % len(self.facts)] = edited
        self.save_facts()

    @precondition(lambda self: len(self.facts) > 1)
    @rule(i=st.integers(0, 20))
    def delete_fact(self, i):
        del self.facts[i % len(self.facts)]
        self.save_facts()

    @rule(i=st.integers(0, 20), j=st.integers(0, 20))
    def reorder(self, i, j):
        i, j = i % len(self.facts), j % len(self.facts)
        self.facts[i], self.facts[j] = self.facts[j], self.facts[i]
        self.save_facts()

    @rule(quote=st.integers(0, len(QUOTES) - 1), date=st.sampled_from(DATES), at=st.integers(0, 20),
          darchiev=st.booleans())
    def add_fact(self, quote, date, at, darchiev):
        self.made += 1
        new = fact(f"new-fact-{self.made}", f"واقعة جديدة {WORDS[self.made % len(WORDS)]}.", quote, date,
                   ["darchiev"] if darchiev else ())
        self.facts.insert(at % (len(self.facts) + 1), new)
        self.save_facts()

    @rule(i=st.integers(0, 20))
    def misspell_a_key(self, i):
        item = self.facts[i % len(self.facts)]
        if "text" in item:
            item["txet"] = item.pop("text")
            self.save_facts()

    @rule()
    def fix_keys(self):
        for item in self.facts:
            if "txet" in item:
                item["text"] = item.pop("txet")
        self.save_facts()

    @rule(i=st.integers(0, 20))
    def cite_two_articles(self, i):
        item = self.facts[i % len(self.facts)]
        item["citations"] = [{"source": s, "quote": q} for s, q in (QUOTES[1], QUOTES[5])]
        self.save_facts()

    @rule(name=st.sampled_from(["ألكسندر دارشييف", "أ. دارشييف", "دارتشييف"]))
    def rename_entity(self, name):
        text = (self.root / MEETINGS).read_text(encoding="utf-8")
        old = next(line for line in text.split("\n") if line.strip().startswith("name:") and "دار" in line)
        self.edit(MEETINGS, old, old[:old.index("name:")] + f'name: "{name}"')

    @rule(i=st.integers(0, 20), who=st.sampled_from([None, "darchiev", "round-one"]))
    def say_who_said_it(self, i, who):
        """A fact names (or stops naming) who said it: a person, or a meeting, which may not speak."""
        item = self.facts[i % len(self.facts)]
        item.pop("according_to", None)
        if who:
            item["according_to"] = [who]
        self.save_facts()

    @rule(kind=st.sampled_from(["person", "property"]))
    def entity_kind(self, kind):
        """Another file changes what an entity is: the facts of this one that name it are checked again."""
        text = (self.root / MEETINGS).read_text(encoding="utf-8")
        old = next(line for line in text.split("\n") if line.strip().startswith("kind:") and "meeting" not in line)
        self.edit(MEETINGS, old, old[:old.index("kind:")] + f"kind: {kind}")

    @rule(i=st.integers(0, 20), back=st.booleans())
    def take_another_files_id(self, i, back):
        """A fact takes the id of a fact in another topic file, or gets one of its own again."""
        self.made += 1
        for n, item in enumerate(self.facts if back else [self.facts[i % len(self.facts)]]):
            if item["id"] == "met-in-istanbul" or not back:
                item["id"] = f"own-id-{self.made}-{n}" if back else "met-in-istanbul"
        self.save_facts()

    @rule(body=st.sampled_from(["[2, 5]", "[1, 5]", "[2, 9]"]), headline=st.booleans())
    def edit_sources_file(self, body, headline):
        """sources.yaml: an article's body lines (past its end: an error) and headline (not in the article: one)."""
        path = self.root / "content/sources.yaml"
        lines = path.read_text(encoding="utf-8").split("\n")
        at = lines.index("  - id: two")
        for n in range(at, len(lines)):
            if lines[n].startswith("    body:"):
                lines[n] = f"    body: {body}"
            elif lines[n].startswith("    headline:"):
                lines[n] = '    headline: "عنوان المقال الثاني"' if headline else '    headline: "عنوان آخر"'
        path.write_text("\n".join(lines), encoding="utf-8")

    @rule(seed=st.sampled_from(["one.txt", "two.txt"]), how=st.sampled_from(["shift", "break", "restore"]))
    def edit_seed(self, seed, how):
        text = self.seeds[seed]
        if how == "shift":      # a word before every cited passage: every offset moves
            text = "كلمة " + text
        elif how == "break":    # a letter gone from inside cited passages: their quotes are no longer there
            text = text.replace("الرحلات", "الرحلا")
        (self.root / "seeds" / seed).write_text(text, encoding="utf-8")

    @rule(on=st.booleans())
    def template_reads_more(self, on):
        path = self.root / "templates/entity.html"
        text = path.read_text(encoding="utf-8")
        if on and ENTITY_READS not in text:
            head, _, tail = text.rpartition("{% endblock %}")
            path.write_text(head + ENTITY_READS + tail, encoding="utf-8")
        elif not on and ENTITY_READS in text:
            path.write_text(text.replace(ENTITY_READS, "{% endblock %}"), encoding="utf-8")

    @rule(edit=st.sampled_from(sorted(TEMPLATE_EDITS)), on=st.booleans())
    def edit_template(self, edit, on):
        """Template edits that change nothing a reader sees, a fragment's output, or what a fragment reads."""
        name, text, edited = TEMPLATE_EDITS[edit]
        if on:
            self.edit(f"templates/{name}", text, edited)
        else:
            self.edit(f"templates/{name}", edited, text)

    @rule(content=st.sampled_from([None, "<p>{{ entity.name }}</p>", "<p>{{ entity.kind }}</p>"]))
    def optional_partial(self, content):
        """A template that appears, changes and goes away, which entity.html may include if it is there."""
        path = self.root / "templates/partials/extra.html"
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(content, encoding="utf-8")

    def set_page_size(self, setting: str, size: int | None):
        path = self.root / "site.yaml"
        lines = [line for line in path.read_text(encoding="utf-8").split("\n") if not line.startswith(setting)]
        if size is not None:
            lines.insert(1, f"{setting}: {size}")
        path.write_text("\n".join(lines), encoding="utf-8")

    @rule(size=st.sampled_from([None, 1, 2]))
    def timeline_pages(self, size):
        self.set_page_size("timeline_page_size", size)

    @rule(size=st.sampled_from([None, 1, 2, 3]))
    def topic_pages(self, size):
        self.set_page_size("facts_per_page", size)

    @rule()
    def edit_stylesheet(self):
        with open(self.root / "static/style.css", "a", encoding="utf-8") as css:
            css.write(f"\n/* {self.made} */\n")
        self.made += 1

    @precondition(lambda self: self.ok)
    @rule(i=st.integers(0, 20))
    def write_fails(self, i):
        self.made += 1
        self.facts[i % len(self.facts)]["text"] = f"نص لا يُكتب {self.made}."
        self.save_facts()
        before = tree(self.out)
        with no_room_to_write():
            report = build(self.root, self.out, URL, preview=True, stages=self.reuse)
        assert not report.ok and "cannot write" in str(report.errors[0]), report.errors
        assert tree(self.out) == before, "a failed write changed the preview's folder"

    # --- after every step ---
    def rebuild(self):
        before = tree(self.out) if self.out.exists() else None
        report = build(self.root, self.out, URL, preview=True, stages=self.reuse)
        self.ok = report.ok
        cold_out = self.work / "cold"
        shutil.rmtree(cold_out, ignore_errors=True)
        cold = build(self.root, cold_out, URL, preview=True)
        assert report.errors == cold.errors, "the preview reports other errors than a cold build"
        if not report.ok:
            assert before is None or tree(self.out) == before, "a failed build changed the preview's folder"
            return
        incremental, fresh = tree(self.out), tree(cold_out)
        assert incremental.keys() == fresh.keys()
        stale = [path for path in fresh if incremental[path] != fresh[path]]
        assert not stale, f"pages the preview got wrong: {stale}"

    @invariant()
    def preview_equals_a_cold_build(self):
        self.rebuild()
        beside = [p.name for p in self.work.iterdir() if p.name.startswith(".")]
        assert len(beside) <= 1 and all(name.startswith(".preview.new-") for name in beside), beside   # the spare


Editing.TestCase.settings = settings(max_examples=30, stateful_step_count=12, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
test_incremental_builds_equal_cold_builds = Editing.TestCase


def test_the_preview_reports_errors_another_files_edit_makes_and_drops_them_once_fixed(tmp_path):
    """A topic file the editor did not touch gets errors from an edit elsewhere (an entity's kind, an article's
    body lines): the preview's next rebuild reports them as a cold build does, and the one after the fix drops
    them."""
    root = copy_project("basic", tmp_path / "project")
    preview = Preview(root, tmp_path / "out", URL, search=False)
    preview.rebuild()
    assert preview.errors == []
    steps = [(MEETINGS, "    kind: person", "    kind: property", "'darchiev' is a property"),
             ("content/sources.yaml", "    body: [2, 5]", "    body: [2, 50]", "'body' [2, 50] must be lines"),
             (MEETINGS, "  - id: delegation-head", "  - id: flights-proposal", "duplicate id 'flights-proposal'")]
    replace_in(root / FLIGHTS, "    text: ", "    according_to: [darchiev]\n    text: ")
    preview.rebuild([FLIGHTS])
    assert preview.errors == []
    for rel, old, new, message in steps:
        replace_in(root / rel, old, new)
        preview.rebuild([rel])
        cold = build(root, write_output=False, preview=True)
        assert sorted(preview.errors) == cold.errors and any(message in e.message for e in cold.errors), cold.errors
        replace_in(root / rel, new, old)
        preview.rebuild([rel])
        assert preview.errors == []


@pytest.mark.parametrize("edit", sorted(TEMPLATE_EDITS))
def test_a_template_edit_renders_again_what_it_changes(project, tmp_path, edit):
    """Each template edit, made then undone, gives the cold build's output; a comment re-renders no page."""
    root, out, cold_out, reuse = project("basic"), tmp_path / "preview", tmp_path / "cold", Reuse()
    assert build(root, out, URL, preview=True, stages=reuse).ok
    name, text, edited = TEMPLATE_EDITS[edit]
    steps = [(name, text, edited), ("partials/extra.html", None, "<p>{{ entity.name }}</p>"),
             ("partials/extra.html", "<p>{{ entity.name }}</p>", None), (name, edited, text)]
    for template, old, new in steps:
        path = root / "templates" / template
        if old is None:
            path.write_text(new, encoding="utf-8")
        elif new is None:
            path.unlink()
        else:
            path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        report = build(root, out, URL, preview=True, stages=reuse)
        shutil.rmtree(cold_out, ignore_errors=True)
        cold = build(root, cold_out, URL, preview=True)
        assert report.ok and cold.ok, report.errors + cold.errors
        fresh = tree(cold_out)
        assert [p for p in fresh if tree(out).get(p) != fresh[p]] == [], f"stale after {template}: {old} -> {new}"
        if edit == "fact comment" and template == name:
            assert report.rendered == 0, "a comment in a fragment's template rendered pages again"
