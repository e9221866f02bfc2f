"""Hostile input (issue 7): a bad edit ends in exact `file:line: message` lines and exit 1, never a traceback, and
the site built before it stays byte for byte; markup and script in any field are shown as text, never run."""
from __future__ import annotations

import html.parser
import importlib.util
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from helpers import replace_in, tree
from sitegen import build
from sitegen.load import SITE_FIELDS
from sitegen.model import Error
from sitegen.reuse import Reuse

SITE, SOURCES, ABOUT = "site.yaml", "content/sources.yaml", "content/pages/about.md"
FLIGHTS, MEETINGS = "content/topics/flights.yaml", "content/topics/meetings.yaml"

_spec = importlib.util.spec_from_file_location("build_cli", ROOT / "build.py")
cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli)


# --- edits: each returns a function that changes one thing in a fresh copy of tests/fixtures/basic ---

def sub(rel: str, old: str, new: str):
    return lambda root: replace_in(root / rel, old, new)


def put(rel: str, data: str | bytes):
    def edit(root: Path) -> None:
        path = root / rel
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return edit


def add_source(seed: str, body: str = "[1, 1]"):
    """A third source that nothing cites, so a problem with it is reported once, with no knock-on errors."""
    def edit(root: Path) -> None:
        with (root / SOURCES).open("a", encoding="utf-8") as f:
            f.write(f'  - id: three\n    seed: {seed}\n    headline: "عنوان"\n    outlet: ""\n    author: ""\n'
                    f'    meeting: round-one\n    published: "2025"\n    body: {body}\n')
    return edit


def rewrite(rel: str, change):
    """change: the file's bytes -> new bytes."""
    return lambda root: (root / rel).write_bytes(change((root / rel).read_bytes()))


def both(*edits):
    def edit(root: Path) -> None:
        for e in edits:
            e(root)
    return edit


def seed_file(name: str, data: bytes):
    return put(f"seeds/{name}", data)


def symlink(rel: str, target: str):
    """target: relative to the project, or absolute."""
    return lambda root: (root / rel).symlink_to(root / target)


def template(name: str, text: str):
    return put(f"templates/{name}", text)


def remove(rel: str):
    return lambda root: (root / rel).unlink()


OUT = "digits: arab"          # the line of site.yaml after which an output_dir is added
TITLE = 'title: "الرحلات الجوية"'                              # line 1 of flights.yaml
QUOTE = '"وكانت الرحلات الجوية قد علقت عام 2022 بعد بدء الحرب"'  # line 17 of flights.yaml
THREE_SEED = f"{SOURCES}:21"  # where add_source() writes `seed:`
PAGE = '{% extends "base.html" %}\n{% block content %}\n'  # a page template whose line 3 is the test's
ABOUT_HEAD = '---\ntitle: "عن"\ndescription: "وصف."\n---\n'   # the body starts on line 5

# (name, edit, the exact lines printed before the summary). "{root}" stands for the project folder.
SITE_KEYS = ", ".join(SITE_FIELDS)   # the error lists every key site.yaml may have
CASES = [
    # --- YAML ---
    ("yaml-unclosed-quote", sub(FLIGHTS, 'عام 2022."', "عام 2022."),
     [f"{FLIGHTS}:14: YAML: expected <block end>, but found '<scalar>' (while parsing a block mapping on line 12)"]),
    ("yaml-unclosed-bracket", sub(MEETINGS, "entities: [darchiev]", "entities: [darchiev"),
     [f"{MEETINGS}:52: YAML: expected ',' or ']', but got ':' (while parsing a flow sequence on line 51)"]),
    ("yaml-tab-indent", sub(FLIGHTS, '    text: "اقترحت', '\ttext: "اقترحت'),
     [f"{FLIGHTS}:5: YAML: tab character: indent YAML with spaces"]),
    ("yaml-duplicate-key", sub(FLIGHTS, "summary:", 'title: "مرة ثانية"\nsummary:'),
     [f"{FLIGHTS}:2: YAML: duplicate key 'title' (first on line 1)"]),
    ("yaml-wrong-type-text", sub(FLIGHTS, TITLE, "title: [a, b]"),
     [f"{FLIGHTS}:1: 'title' in a topic file must be non-empty text"]),
    ("yaml-wrong-type-list", sub(FLIGHTS, "citations:\n      - source: two", "citations: two\n    x:\n      - source: two"),
     [f"{FLIGHTS}:15: 'citations' in a fact must be a list",
      f"{FLIGHTS}:16: unknown key 'x' in a fact (known keys: id, text, according_to, citations, date, entities, variants, "
      "status, meeting, detail, issue)"]),
    ("yaml-wrong-type-date", sub(FLIGHTS, 'date: "2022"', "date: 2022"),
     [f"{FLIGHTS}:14: 'date' in a fact must be a date (\"2025-02-27\") or a mapping with value and inferred"]),
    ("yaml-wrong-type-body", add_source("two.txt", '[1, "six"]'),
     [f"{SOURCES}:27: 'body' must be [first line, last line]"]),
    ("yaml-wrong-type-top", put(FLIGHTS, "- title\n- summary\n"),
     [f"{FLIGHTS}:1: a topic file must be a mapping of keys to values"]),
    ("yaml-unknown-key-typo", sub(FLIGHTS, "summary:", "sumary:"),
     [f"{FLIGHTS}:1: a topic file is missing the key 'summary'",
      f"{FLIGHTS}:2: unknown key 'sumary' in a topic file (did you mean 'summary'?)"]),
    ("yaml-unknown-key", sub(SITE, OUT, f"{OUT}\ncolour: red"),
     [f"{SITE}:7: unknown key 'colour' in site.yaml (known keys: " + SITE_KEYS + ")"]),
    ("yaml-missing-key", sub(FLIGHTS, 'summary: "الرحلات المعلّقة واقتراح استئنافها."\n', ""),
     [f"{FLIGHTS}:1: a topic file is missing the key 'summary'"]),
    ("yaml-missing-quote", sub(FLIGHTS, f"        quote: {QUOTE}\n", ""),
     [f"{FLIGHTS}:16: a citation is missing the key 'quote'"]),
    ("yaml-empty-file", put(FLIGHTS, ""), [f"{FLIGHTS}:1: file is empty"]),
    ("yaml-only-comments", put(FLIGHTS, "# nothing yet\n"),
     [f"{FLIGHTS}:1: a topic file must be a mapping of keys to values"]),
    ("yaml-huge-file", put(FLIGHTS, "# padding\n" * 250_000), [f"{FLIGHTS}: file is larger than 2 MB; split it"]),
    ("yaml-alias-bomb", put(FLIGHTS, 'a: &a ["lol", "lol", "lol"]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\n'),
     [f"{FLIGHTS}:1: YAML: anchors (&name) are not allowed in content files"]),
    ("yaml-alias", sub(FLIGHTS, TITLE, "title: *t"),
     [f"{FLIGHTS}:1: YAML: aliases (*name) are not allowed in content files"]),
    ("yaml-anchor", sub(FLIGHTS, TITLE, 'title: &t "الرحلات الجوية"'),
     [f"{FLIGHTS}:1: YAML: anchors (&name) are not allowed in content files"]),
    ("yaml-deep-nesting", put(FLIGHTS, "a: " + "[" * 50_000 + "]" * 50_000 + "\n"),
     [f"{FLIGHTS}:1: YAML: nested more than 50 levels deep"]),
    ("yaml-deep-block-nesting", put(FLIGHTS, "".join(f"{'  ' * i}k{i}:\n" for i in range(120)) + "  " * 120 + "x\n"),
     [f"{FLIGHTS}:51: YAML: nested more than 50 levels deep"]),
    ("yaml-not-utf8", rewrite(FLIGHTS, lambda data: data.replace("المعلّقة".encode(), "المعلّقة".encode("cp1256"))),
     [f"{FLIGHTS}:2: not valid UTF-8 (byte 0xc7); save the file as UTF-8"]),
    ("yaml-bom", rewrite(SITE, lambda data: b"\xef\xbb\xbf" + data),
     [f"{SITE}:1: file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"]),
    ("yaml-control-character", sub(FLIGHTS, "الرحلات المعلّقة", "الرحلات\x07 المعلّقة"),
     [f"{FLIGHTS}:2: YAML: special character U+0007 is not allowed"]),
    ("yaml-line-separator", sub(FLIGHTS, "الرحلات المعلّقة", "الرحلات\u2028المعلّقة"),
     [f"{FLIGHTS}:2: invisible line separator U+2028; replace it with a line break or a space"]),
    ("yaml-python-object", sub(FLIGHTS, TITLE, 'title: !!python/object/apply:os.system ["touch pwned"]'),
     [f"{FLIGHTS}:1: YAML: the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"]),
    ("yaml-python-name", sub(FLIGHTS, TITLE, 'title: !!python/name:os.system ""'),
     [f"{FLIGHTS}:1: YAML: the tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"]),
    ("yaml-newline-in-key", sub(FLIGHTS, "summary:", '"sum\\nmary":'),
     [f"{FLIGHTS}:1: a topic file is missing the key 'summary'",
      f"{FLIGHTS}:2: unknown key 'sum\\nmary' in a topic file (did you mean 'summary'?)"]),
    # --- characters that would reach the page hidden: bidi controls, and control characters sent as escapes ---
    ("text-rlo-in-title", sub(FLIGHTS, TITLE, 'title: "الرحلات \u202eالجوية"'),
     [f"{FLIGHTS}:1: U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed in text; remove it"]),
    ("text-rlo-escape", sub(FLIGHTS, TITLE, 'title: "\\u202Eالرحلات الجوية"'),
     [f"{FLIGHTS}:1: U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed in text; remove it"]),
    ("text-lre-in-fact", sub(FLIGHTS, "اقترحت روسيا استئناف", "اقترحت \u202aروسيا استئناف"),
     [f"{FLIGHTS}:5: U+202A (LEFT-TO-RIGHT EMBEDDING) is not allowed in text; remove it"]),
    ("text-rle-in-quote", sub(FLIGHTS, "عبر Türkiye", "عبر \u202bTürkiye"),
     [f"{FLIGHTS}:11: U+202B (RIGHT-TO-LEFT EMBEDDING) is not allowed in text; remove it"]),
    ("text-pdf-in-author", sub(SOURCES, 'author: ""', 'author: "كاتب \u202c"'),
     [f"{SOURCES}:6: U+202C (POP DIRECTIONAL FORMATTING) is not allowed in text; remove it"]),
    ("text-lro-in-site-title", rewrite(SITE, lambda d: d.replace(b'title: "', 'title: "\u202d'.encode(), 1)),
     [f"{SITE}:1: U+202D (LEFT-TO-RIGHT OVERRIDE) is not allowed in text; remove it"]),
    ("text-isolate-unclosed", sub(FLIGHTS, TITLE, 'title: "الرحلات \u2067الجوية"'),
     [f"{FLIGHTS}:1: a bidi isolate (U+2066-U+2068) is not closed by U+2069 in the same text; close or remove it"]),
    ("text-isolate-close-first", sub(FLIGHTS, TITLE, 'title: "الرحلات \u2069الجوية\u2066"'),
     [f"{FLIGHTS}:1: U+2069 (POP DIRECTIONAL ISOLATE) closes no isolate; remove it"]),
    ("text-escape-esc", sub(FLIGHTS, "اقترحت روسيا استئناف", "\\x1b[2Jاقترحت روسيا استئناف"),
     [f"{FLIGHTS}:5: U+001B (a control character) is not allowed in text; remove it"]),
    ("text-escape-nul", sub(SOURCES, 'outlet: ""', 'outlet: "\\0"'),
     [f"{SOURCES}:5: U+0000 (a control character) is not allowed in text; remove it"]),
    ("text-escape-in-key", sub(FLIGHTS, "summary:", '"\\esummary": "x"\nsummary:'),
     [f"{FLIGHTS}:2: U+001B (a control character) is not allowed in text; remove it",
      f"{FLIGHTS}:2: unknown key '\\x1bsummary' in a topic file (did you mean 'summary'?)"]),
    ("text-rlo-in-page-body", put(ABOUT, ABOUT_HEAD + "سطر.\nهذا \u202eموقع.\n"),
     [f"{ABOUT}:6: U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed in text; remove it"]),
    ("text-rlo-in-page-header", sub(ABOUT, "عن الموقع", "عن \u202eالموقع"),
     [f"{ABOUT}:2: U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed in text; remove it"]),
    # --- Markdown nested beyond reason: refused at once, at its line, before Markdown runs ---
    ("markdown-deep-list", put(ABOUT, ABOUT_HEAD + "".join(f"{'    ' * i}- بند\n" for i in range(600))),
     [f"{ABOUT}:25: Markdown lists or quotes nested 21 deep; at most 20"]),
    ("markdown-deep-quote", put(ABOUT, ABOUT_HEAD + "> " * 30 + "نص\n"),
     [f"{ABOUT}:5: Markdown lists or quotes nested 30 deep; at most 20"]),
    ("markdown-deep-list-in-fact", sub(FLIGHTS, '"اقترحت روسيا', '"' + "- " * 40 + "اقترحت روسيا"),
     [f"{FLIGHTS}:4: Markdown lists or quotes nested 40 deep; at most 20"]),
    # --- ids become folder names: their length is checked with their form, before anything is written ---
    ("id-too-long", sub(FLIGHTS, "id: flights-suspended", "id: " + "x" * 300),
     [f"{FLIGHTS}:12: id 'xxxxxxxxxxxxxxxxxxxx…' is 300 characters long; at most 80"]),
    ("page-name-too-long", lambda root: (root / ABOUT).rename(root / f"content/pages/{'a' * 200}.md"),
     [f"content/pages/{'a' * 200}.md:1: page file name '{'a' * 200}' is reserved or not a valid slug"]),
    # --- a file that loaded with errors still shows every other error of the build ---
    ("errors-together", both(sub(SITE, OUT, f"{OUT}\ncolour: red"), sub(FLIGHTS, 'date: "2022"', 'date: "2022-13"')),
     [f"{FLIGHTS}:12: date '2022-13' must be YYYY, YYYY-MM or YYYY-MM-DD",
      f"{SITE}:7: unknown key 'colour' in site.yaml (known keys: " + SITE_KEYS + ")"]),
    ("errors-together-in-one-file", both(sub(FLIGHTS, "summary:", "colour: red\nsummary:"),
                                         sub(FLIGHTS, 'date: "2022"', 'date: "2022-13"')),
     [f"{FLIGHTS}:2: unknown key 'colour' in a topic file (known keys: title, summary, entities, facts)",
      f"{FLIGHTS}:13: date '2022-13' must be YYYY, YYYY-MM or YYYY-MM-DD"]),
    # --- every internal link and #anchor of the written site leads somewhere, or is reported where it was written ---
    ("link-to-no-page", put(ABOUT, ABOUT_HEAD + "سطر.\n\nانظر [هنا](../nowhere/).\n"),
     [f"{ABOUT}:7: link '../nowhere/' leads to no file the build writes (on about/index.html)"]),
    ("link-to-no-anchor", put(ABOUT, ABOUT_HEAD + "انظر [الاقتراح](../topics/flights/#no-such-fact).\n"),
     [f"{ABOUT}:5: link '../topics/flights/#no-such-fact' points to #no-such-fact, which topics/flights/index.html "
      "does not have (on about/index.html)"]),
    ("link-reference-style", put(ABOUT, ABOUT_HEAD + "انظر [الاقتراح][م].\n\n[م]: ../topics/flight/\n"),
     [f"{ABOUT}:7: link '../topics/flight/' leads to no file the build writes (on about/index.html)"]),
    ("link-own-anchor", put(ABOUT, ABOUT_HEAD + "## قسم\n\nانظر [القسم](#qism).\n"),
     [f"{ABOUT}:7: link '#qism' points to #qism, which about/index.html does not have (on about/index.html)"]),
    ("link-out-of-the-site", put(ABOUT, ABOUT_HEAD + "انظر [الملف](../../../etc/passwd).\n"),
     [f"{ABOUT}:5: link '../../../etc/passwd' leads out of the site (on about/index.html)"]),
    ("link-from-the-host-root", put(ABOUT, ABOUT_HEAD + "انظر [الموضوع](/topics/flights/).\n"),
     [f"{ABOUT}:5: link '/topics/flights/' leads out of the site (on about/index.html)"]),
    # right on its topic's page, this link leads nowhere from the other pages that show the fact
    ("link-in-a-fact", sub(FLIGHTS, "عُلّقت الرحلات الجوية عام 2022.", "عُلّقت [الرحلات](../meetings/) عام 2022."),
     [f"{FLIGHTS}:12: link '../meetings/' leads to no file the build writes (on timeline/index.html)"]),
    ("link-in-a-template", template("page.html", PAGE + '<a href="../gone/">x</a>\n{% endblock %}\n'),
     ["about/index.html: link '../gone/' leads to no file the build writes; a template wrote it"]),
    # --- static/ publishes what is in the project, nothing else ---
    ("static-symlink-passwd", symlink("static/leak.txt", "/etc/passwd"),
     ["static/leak.txt: symlink to '/etc/passwd' leads outside the project; copy the file into static/ instead"]),
    ("static-symlink-environ", symlink("static/env.txt", "/proc/self/environ"),
     ["static/env.txt: symlink to '/proc/self/environ' leads outside the project; copy the file into static/ "
      "instead"]),
    ("static-symlink-folder-out", symlink("static/etc", "/etc"),
     ["static/etc: symlink to '/etc' leads outside the project; copy the file into static/ instead"]),
    ("static-symlink-relative-out", lambda root: (root / "static/up.txt").symlink_to("../" * 40 + "etc/passwd"),
     [f"static/up.txt: symlink to '{'../' * 40}etc/passwd' leads outside the project; copy the file into "
      "static/ instead"]),
    ("static-symlink-broken", lambda root: (root / "static/gone.css").symlink_to("none.css"),
     ["static/gone.css: symlink to 'none.css' leads to no file"]),
    ("static-symlink-loop", lambda root: (root / "static/loop.css").symlink_to("loop.css"),
     ["static/loop.css: symlink to 'loop.css' leads to no file"]),
    ("static-itself-out", lambda root: (shutil.rmtree(root / "static"), (root / "static").symlink_to("/etc")),
     ["static: symlink to '/etc' leads outside the project; copy the file into static/ instead"]),
    ("static-fifo", lambda root: os.mkfifo(root / "static/pipe"),
     ["static/pipe: is not a regular file; only files are published"]),
    ("page-no-header", put(ABOUT, "هذا موقع تجريبي.\n"),
     [f"{ABOUT}:1: a page starts with a YAML header between two '---' lines"]),
    ("page-empty-header", put(ABOUT, "---\n---\nهذا موقع تجريبي.\n"),
     [f"{ABOUT}:2: the page header must be a mapping of keys to values"]),
    ("page-header-syntax", sub(ABOUT, 'description: "ما هذا الموقع."', "description: [x"),
     [f"{ABOUT}:3: YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)"]),
    # --- references ---
    ("ref-unknown-source", sub(FLIGHTS, "source: two", "source: tow"),
     [f"{FLIGHTS}:16: unknown source 'tow' (did you mean 'two'?)"]),
    ("ref-unknown-topic", sub(SITE, "topics: [meetings, flights]", "topics: [meetings, flights, fligths]"),
     [f"{SITE}:7: unknown topic 'fligths' (did you mean 'flights'?): no file content/topics/fligths.yaml"]),
    ("ref-unlisted-topic", put("content/topics/extra.yaml", 'title: "إضافي"\nsummary: "ملخص."\nfacts: []\n'),
     ["content/topics/extra.yaml:1: topic 'extra' is not listed in site.yaml 'topics'"]),
    ("ref-unknown-entity", sub(MEETINGS, "entities: [darchiev]", "entities: [darchev]"),
     [f"{MEETINGS}:51: unknown entity 'darchev' (did you mean 'darchiev'?)"]),
    ("ref-unknown-meeting", sub(SOURCES, "meeting: round-one", "meeting: darchiev"),
     [f"{SOURCES}:2: unknown meeting 'darchiev'"]),
    ("ref-duplicate-id-in-file", sub(FLIGHTS, "id: flights-suspended", "id: flights-proposal"),
     [f"{FLIGHTS}:12: duplicate id 'flights-proposal' (first used at {FLIGHTS}:4)"]),
    ("ref-duplicate-fact-entity", sub(FLIGHTS, "id: flights-suspended", "id: darchiev"),
     [f"{FLIGHTS}:12: duplicate id 'darchiev' (first used at {MEETINGS}:12)"]),
    ("ref-duplicate-fact-source", sub(FLIGHTS, "id: flights-suspended", "id: one"),
     [f"{FLIGHTS}:12: duplicate id 'one' (first used at {SOURCES}:2)"]),
    ("ref-duplicate-fact-topic", sub(FLIGHTS, "id: flights-suspended", "id: meetings"),
     [f"{FLIGHTS}:12: duplicate id 'meetings' (first used at {MEETINGS}:1)"]),
    ("ref-bad-id", sub(FLIGHTS, "id: flights-suspended", "id: Flights_Suspended"),
     [f"{FLIGHTS}:12: id 'Flights_Suspended' must be lower-case letters, digits and hyphens"]),
    ("ref-quote-not-in-article", sub(FLIGHTS, "وكانت الرحلات الجوية قد علقت", "وكانت الرحلات قد علقت"),
     [f"{FLIGHTS}:17: quote not found in two; closest passage (seeds/two.txt lines 4-5; [-only in the quote-] "
      "{+only in the article+}): «وكانت الرحلات {+الجوية+} قد علقت عام 2022 بعد بدء الحرب»"]),
    ("ref-quote-empty", sub(FLIGHTS, QUOTE, '""'),
     [f"{FLIGHTS}:17: 'quote' in a citation must be non-empty text"]),
    ("ref-quote-blank", sub(FLIGHTS, QUOTE, '"  \\n "'),
     [f"{FLIGHTS}:17: 'quote' in a citation must be non-empty text"]),
    ("ref-no-citations", sub(FLIGHTS, f"citations:\n      - source: two\n        quote: {QUOTE}", "citations: []"),
     [f"{FLIGHTS}:15: a fact needs at least one citation"]),
    ("ref-bad-date", sub(FLIGHTS, 'date: "2022"', 'date: "27/02/2022"'),
     [f"{FLIGHTS}:12: date '27/02/2022' must be YYYY, YYYY-MM or YYYY-MM-DD"]),
    ("ref-impossible-date", sub(FLIGHTS, 'value: "2025-02-27"', 'value: "2025-02-30"'),
     [f"{FLIGHTS}:4: date '2025-02-30' must be YYYY, YYYY-MM or YYYY-MM-DD"]),
    ("ref-body-outside-seed", sub(SOURCES, "body: [2, 5]", "body: [2, 50]"),
     [f"{SOURCES}:12: 'body' [2, 50] must be lines within 1..6 of two.txt"]),
    ("ref-body-reversed", sub(SOURCES, "body: [2, 5]", "body: [5, 2]"),
     [f"{SOURCES}:12: 'body' [5, 2] must be lines within 1..6 of two.txt"]),
    ("ref-headline-not-in-seed", sub(SOURCES, 'headline: "عنوان المقال الأول"', 'headline: "عنوان آخر"'),
     [f"{SOURCES}:2: headline does not appear in seeds/one.txt"]),
    ("ref-entity-kind", sub(MEETINGS, "kind: person", "kind: human"),
     [f"{MEETINGS}:12: entity kind 'human' must be one of: person, property, meeting, organization"]),
    # --- seeds ---
    ("seed-missing", add_source("three.txt"), [f"{THREE_SEED}: seed file 'seeds/three.txt' not found"]),
    ("seed-missing-cited", sub(SOURCES, "seed: one.txt", "seed: none.txt"),
     [f"{SOURCES}:3: seed file 'seeds/none.txt' not found"]),  # not also every citation of the source
    ("seed-is-folder", both(add_source("three"), lambda root: (root / "seeds/three").mkdir()),
     [f"{THREE_SEED}: seed file 'seeds/three' is a folder, expected a file"]),
    ("seed-not-utf8", both(add_source("three.txt"), seed_file("three.txt", "عنوان\n".encode() + b"caf\xe9\n")),
     [f"{THREE_SEED}: seed 'seeds/three.txt': not valid UTF-8 (byte 0xe9); save the file as UTF-8"]),
    ("seed-bom", both(add_source("three.txt"), seed_file("three.txt", b"\xef\xbb\xbf" + "عنوان\n".encode())),
     [f"{THREE_SEED}: seed 'seeds/three.txt': file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"]),
    ("seed-dotdot", add_source("../site.yaml"),
     [f"{THREE_SEED}: seed '../site.yaml' must be a file name inside seeds/"]),
    ("seed-absolute", add_source("/etc/passwd"),
     [f"{THREE_SEED}: seed '/etc/passwd' must be a file name inside seeds/"]),
    ("seed-subfolder", add_source("sub/three.txt"),
     [f"{THREE_SEED}: seed 'sub/three.txt' must be a file name inside seeds/"]),
    ("seed-symlink-out", both(add_source("three.txt"), symlink("seeds/three.txt", SITE)),
     [f"{THREE_SEED}: seed 'three.txt' must be a file name inside seeds/"]),
    ("seed-symlink-out-of-project", both(add_source("three.txt"), symlink("seeds/three.txt", "/etc/passwd")),
     [f"{THREE_SEED}: seed 'three.txt' must be a file name inside seeds/"]),
    ("seed-symlink-loop", both(add_source("three.txt"), symlink("seeds/three.txt", "seeds/three.txt")),
     [f"{THREE_SEED}: seed 'seeds/three.txt' is a symlink loop"]),
    ("seed-nul", add_source('"three\\0.txt"'),
     [f"{THREE_SEED}: 'seed' in a source must be a file or folder name (no NUL character)",
      f"{THREE_SEED}: U+0000 (a control character) is not allowed in text; remove it"]),
    ("seed-name-too-long", add_source("x" * 300),
     [f"{THREE_SEED}: seed 'seeds/{'x' * 300}' cannot be read: File name too long"]),
    # --- templates (a copy in the project; line 3 is the broken one) ---
    ("template-syntax", template("page.html", PAGE + "{% if %}\n{% endblock %}\n"),
     ["templates/page.html:3: template syntax: Expected an expression, got 'end of statement block'"]),
    ("template-undefined", template("page.html", PAGE + "{{ prose.titel }}\n{% endblock %}\n"),
     ["templates/page.html:3: undefined in template: 'sitegen.model.Page object' has no attribute 'titel'"]),
    ("template-missing-include", template("page.html", PAGE + '{% include "partials/none.html" %}\n{% endblock %}\n'),
     ["templates/page.html:3: template 'partials/none.html' not found"]),
    ("template-missing", remove("templates/timeline.html"), ["templates/timeline.html: template not found"]),
    # --- output folder ---
    ("out-project-root", sub(SITE, OUT, f"{OUT}\noutput_dir: ."),
     [f"{SITE}:7: output folder '{{root}}' is the project folder or holds it; choose e.g. _site"]),
    ("out-parent", sub(SITE, OUT, f"{OUT}\noutput_dir: .."),
     [f"{SITE}:7: output folder '{{parent}}' is the project folder or holds it; choose e.g. _site"]),
    ("out-content", sub(SITE, OUT, f"{OUT}\noutput_dir: content"),
     [f"{SITE}:7: output folder '{{root}}/content' is inside content/; choose e.g. _site"]),
    ("out-seeds", sub(SITE, OUT, f"{OUT}\noutput_dir: seeds/site"),
     [f"{SITE}:7: output folder '{{root}}/seeds/site' is inside seeds/; choose e.g. _site"]),
    ("out-outside", sub(SITE, OUT, f"{OUT}\noutput_dir: ../elsewhere"),
     [f"{SITE}:7: output folder '{{parent}}/elsewhere' is outside the project; pass it with --out to confirm"]),
    ("out-not-ours", both(sub(SITE, OUT, f"{OUT}\noutput_dir: notes"), put("notes", "precious")),
     [f"{SITE}:7: output folder '{{root}}/notes' exists and was not written by this generator; "
      "empty it or choose another"]),
    ("out-under-a-file", both(sub(SITE, OUT, f"{OUT}\noutput_dir: notes/_site"), put("notes", "precious")),
     [f"{SITE}:7: output folder '{{root}}/notes/_site' cannot be created: '{{root}}/notes' is a file"]),
    ("out-nul", sub(SITE, OUT, f'{OUT}\noutput_dir: "a\\0b"'),
     [f"{SITE}:7: 'output_dir' in site.yaml must be a file or folder name (no NUL character)",
      f"{SITE}:7: U+0000 (a control character) is not allowed in text; remove it"]),
]

# Run as a real process, as an editor would; the rest call build.py's main() in this process.
SUBPROCESS = {"yaml-unclosed-quote", "yaml-alias-bomb", "yaml-not-utf8", "yaml-python-object", "yaml-newline-in-key",
              "ref-quote-not-in-article", "seed-dotdot", "seed-symlink-out", "template-syntax", "out-project-root"}


def run_cli(root: Path, capsys, subprocess_: bool, *args: str) -> tuple[int, str, str]:
    argv = ["--project", str(root), *(args or ["build"])]
    if subprocess_:
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), *argv], capture_output=True, text=True,
                                timeout=120)
        return result.returncode, result.stdout, result.stderr
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def summary(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''}; nothing was written."


def leftovers(root: Path) -> list[str]:
    """Temporary folders write() makes beside the output (._site.new-*, ._site.old-*)."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith("._site"))


@pytest.fixture
def built(project):
    """A copy of the basic fixture, built once: (root, every output file's bytes)."""
    root = project()
    assert build(root).ok
    return root, tree(root / "_site")


@pytest.mark.parametrize("name, edit, lines", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_and_the_previous_site_kept(name, edit, lines, built, capsys):
    root, before = built
    edit(root)
    code, out, err = run_cli(root, capsys, name in SUBPROCESS)
    expected = [line.replace("{root}", str(root)).replace("{parent}", str(root.parent)) for line in lines]
    assert "Traceback" not in err
    assert (code, out, err.splitlines()) == (1, "", expected + [summary(len(expected))])
    assert tree(root / "_site") == before
    assert leftovers(root) == []


def test_there_are_enough_cases():
    assert len(CASES) >= 30 and len(set(c[0] for c in CASES)) == len(CASES)


# --- line endings: CRLF (and old Mac CR) simply work, with the same output as LF ---

@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_other_line_endings_build_the_same_site(ending, project, tmp_path):
    lf, other = project(), project()
    for path in [other / SITE, *(other / "content").rglob("*.*"), *(other / "seeds").iterdir()]:
        path.write_bytes(path.read_bytes().replace(b"\n", ending.encode()))
    assert b"\r" in (other / "seeds/one.txt").read_bytes()
    a = build(lf, tmp_path / "lf")
    b = build(other, tmp_path / "other")
    assert a.ok and b.ok, b.errors
    assert tree(tmp_path / "other") == tree(tmp_path / "lf")


# --- markup and script in every field: text on every page, in attributes and in facts.json ---

INJECTED_FIELDS = ["site-title", "site-description", "language", "base-url", "publisher", "site-intro",
                   "topic-title", "topic-summary", "entity-name", "entity-names-text", "person-name", "entity-role",
                   "fact-text", "fact-inferred", "variant-text", "headline", "outlet", "author", "published-inferred",
                   "quote", "page-title", "page-description", "page-body"]
ACTIVE_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "form", "input", "base", "style", "math"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}


class PageScan(html.parser.HTMLParser):
    """Every element and attribute of a page; its text (<bdi> runs joined up again) and attribute values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text = ""
        self.values: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.values += [value or "" for _, value in attrs]

    def handle_data(self, data):
        self.text += data


def scan(page: bytes) -> PageScan:
    parser = PageScan()
    parser.feed(page.decode("utf-8"))
    parser.close()
    return parser


def dangerous_url(value: str) -> bool:
    compact = re.sub(r"[\x00-\x20]", "", value).lower()
    return compact.startswith(("javascript:", "vbscript:", "data:"))


def search_page_own(path: str, tag: str, attrs: dict) -> bool:
    """The search page's own form and its one script, the site's search.js (the only page allowed a script)."""
    if path != "search/index.html":
        return False
    return tag in ("form", "input") or (tag == "script" and re.fullmatch(r"\.\./static/search\.[0-9a-f]{10}\.js",
                                                                          attrs.get("src") or "") is not None)


def test_injected_markup_is_text_everywhere(project):
    root = project("hostile-injection")
    report = build(root)
    assert report.ok, report.errors
    pages = {p: data for p, data in tree(report.out_dir).items() if p.endswith(".html")}
    assert "evil/index.html" in pages and "sources/evil/index.html" in pages
    shown = ""
    for path, data in pages.items():
        page = scan(data)
        for tag, attrs in page.tags:
            assert tag not in ACTIVE_TAGS or search_page_own(path, tag, attrs), (path, tag, attrs)
            for attr, value in attrs.items():
                assert not attr.startswith("on"), (path, tag, attr)
                assert not (attr in URL_ATTRIBUTES and dangerous_url(value or "")), (path, tag, attr, value)
        shown += "\n".join([page.text, *page.values])
    # every field reached a page, as text or as an attribute value
    missing = [f for f in INJECTED_FIELDS if f'alert("{f}")' not in shown]
    assert missing == []


def test_injected_markup_round_trips_through_facts_json(project):
    root = project("hostile-injection")
    report = build(root)
    data = json.loads((report.out_dir / "data/facts.json").read_text(encoding="utf-8"))
    fact = data["facts"][0]
    assert fact["text"].startswith('<script>alert("fact-text")</script>')
    assert fact["citations"][0]["quote"] == '"><img src=x onerror=alert("quote")> ثم <script>alert("quote")</script>'
    assert data["sources"][0]["headline"] == '<script>alert("headline")</script> عنوان المقال'
    assert data["site"]["title"].startswith('<script>alert("site-title")</script>')


# --- output that cannot be written ---

def configure_out(root: Path, value: str) -> None:
    replace_in(root / SITE, OUT, f"{OUT}\noutput_dir: {value}")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes through chmod")
def test_read_only_project_folder(built, capsys):
    root, before = built
    os.chmod(root, 0o555)
    try:
        code, _, err = run_cli(root, capsys, False)
    finally:
        os.chmod(root, 0o755)
    assert code == 1 and err.splitlines() == [f"{root}/_site: cannot create the output folder: Permission denied",
                                              summary(1)]
    assert tree(root / "_site") == before


def test_output_folder_that_cannot_be_created(built, capsys, monkeypatch):
    """What chmod does for a user, simulated so that it also holds as root (in CI)."""
    root, before = built

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sitegen.write.tempfile.mkdtemp", refuse)
    code, _, err = run_cli(root, capsys, False)
    assert (code, err.splitlines()) == (1, [f"{root}/_site: cannot create the output folder: Permission denied",
                                            summary(1)])
    assert tree(root / "_site") == before and leftovers(root) == []


def failing_write(monkeypatch, after: int, error: BaseException) -> None:
    """Path.write_bytes succeeds `after` times, then raises; counted in memory shared with the processes the build
    forks (the search index's writes its own files)."""
    real = Path.write_bytes
    calls = multiprocessing.Value("i", 0)

    def write_bytes(self, data):
        with calls.get_lock():
            calls.value += 1
            failing = calls.value > after
        if failing:
            raise error
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)


@pytest.mark.parametrize("at", ["first", "second", "middle", "last"])
def test_a_failure_halfway_through_writing_keeps_the_previous_site(at, built, monkeypatch):
    root, before = built
    replace_in(root / ABOUT, "تجريبي", "جديد")  # the new site differs, so a half swap would show
    writes = len(before)  # one write per file, the marker included
    after = {"first": 0, "second": 1, "middle": writes // 2, "last": writes - 1}[at]
    failing_write(monkeypatch, after, OSError(28, "No space left on device"))
    report = build(root)
    monkeypatch.undo()
    assert report.errors == [Error(f"{root}/_site", 0, "cannot write the site: No space left on device")]
    assert tree(root / "_site") == before and leftovers(root) == []


def test_an_interrupted_write_leaves_no_temporary_folder(built, monkeypatch):
    root, before = built
    failing_write(monkeypatch, 5, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        build(root)
    monkeypatch.undo()
    assert tree(root / "_site") == before and leftovers(root) == []


def test_without_an_atomic_exchange_a_failed_swap_puts_the_previous_site_back(built, monkeypatch):
    root, before = built
    real = Path.rename
    monkeypatch.setattr("sitegen.write.exchange", lambda a, b: False)   # as on a system without renameat2

    def rename(self, target):
        if self.name.startswith("._site.new-"):
            raise OSError(16, "Device or resource busy")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    report = build(root)
    monkeypatch.undo()
    assert [str(e) for e in report.errors] == [f"{root}/_site: cannot write the site: Device or resource busy"]
    assert tree(root / "_site") == before and leftovers(root) == []


def test_an_unexpected_os_error_is_one_line(built, capsys, monkeypatch):
    """A failure outside the files build() checks (here: a static file that cannot be read) ends the CLI with one
    line and exit 1, not a traceback."""
    root, before = built
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "favicon.svg":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, out, err = run_cli(root, capsys, False)
    monkeypatch.undo()
    assert (code, out, err.splitlines()) == (1, "", [f"build.py: Permission denied: {root}/static/favicon.svg"])
    assert tree(root / "_site") == before


def test_check_command_reports_the_same_lines(project, capsys):
    """`check` writes nothing but fails on the same content errors."""
    root = project()
    replace_in(root / FLIGHTS, "source: two", "source: tow")
    code, _, err = run_cli(root, capsys, False, "check")
    assert (code, err.splitlines()) == (1, [f"{FLIGHTS}:16: unknown source 'tow' (did you mean 'two'?)", summary(1)])
    assert not (root / "_site").exists()


def test_python_tag_runs_nothing(project, tmp_path):
    """!!python/object/apply is refused before anything is constructed: the command never runs."""
    root = project()
    marker = tmp_path / "pwned"
    replace_in(root / FLIGHTS, 'title: "الرحلات الجوية"', f'title: !!python/object/apply:os.system ["touch {marker}"]')
    assert not build(root, write_output=False).ok
    assert not marker.exists()


def test_closed_bidi_isolates_and_links_inside_the_project_are_published(project):
    """What the checks above let through: an isolate closed in its own text (it cannot reorder what follows it), and
    a static file linked from elsewhere in the project."""
    root = project()
    replace_in(root / FLIGHTS, TITLE, 'title: "الرحلات \u2067الجوية\u2069"')
    (root / "static/about-copy.md").symlink_to("../content/pages/about.md")
    report = build(root)
    assert report.ok, report.errors
    assert "الرحلات \u2067الجوية\u2069" in (root / "_site/topics/flights/index.html").read_text(encoding="utf-8")
    assert (root / "_site/static/about-copy.md").read_bytes() == (root / ABOUT).read_bytes()


def test_working_links_of_every_kind_build(project):
    root = project()
    replace_in(root / ABOUT, "هذا موقع **تجريبي**.", "هذا موقع **تجريبي**.\n\n"
               "[الموضوع](../topics/flights/) و[الاقتراح](../topics/flights/#flights-proposal) و[النص](#main) "
               "و[الأعلى](#top) و[الرئيسية](../) و[البيانات](../data/facts.json) و[مرجع][م] و[خارجي](https://example.org/)"
               "\n\n[م]: ../sources/one/\n")
    report = build(root)
    assert report.ok, report.errors


def test_the_preview_reports_a_link_an_edit_elsewhere_broke(project, tmp_path):
    """The link check of an edit's build covers the pages it did not render again: removing the fact an untouched
    page links to is reported at that page's line, as a fresh build would."""
    root = project()
    replace_in(root / ABOUT, "هذا موقع **تجريبي**.", "انظر [الاقتراح](../topics/flights/#flights-proposal).")
    reuse = Reuse()
    first = build(root, tmp_path / "out", preview=True, stages=reuse)
    assert first.ok, first.errors
    replace_in(root / FLIGHTS, "id: flights-proposal", "id: flights-proposed")
    edited = build(root, tmp_path / "out", preview=True, stages=reuse)
    fresh = build(root, write_output=False)
    assert 0 < edited.rendered < edited.pages           # the about page was not rendered again
    assert edited.errors == fresh.errors == [Error(ABOUT, 5, "link '../topics/flights/#flights-proposal' points to "
                                                   "#flights-proposal, which topics/flights/index.html does not have "
                                                   "(on about/index.html)")]


@pytest.mark.parametrize("outside", ["elsewhere/one.txt", "seeds/sub/one.txt"])
def test_the_preview_refuses_a_seed_that_became_a_link_with_the_same_text(outside, project, tmp_path):
    """A seed the preview read before, replaced by a symbolic link to a file that reads the same, is refused as a
    fresh build refuses it: the preview keeps an article only while it is the same plain file of seeds/."""
    root = project()
    reuse = Reuse()
    assert build(root, tmp_path / "out", preview=True, stages=reuse).ok
    seed = root / "seeds/one.txt"
    (root / outside).parent.mkdir(parents=True)
    shutil.move(seed, root / outside)
    seed.symlink_to(root / outside)
    edited = build(root, tmp_path / "out", preview=True, stages=reuse)
    fresh = build(root, write_output=False)
    assert edited.errors == fresh.errors and fresh.errors
