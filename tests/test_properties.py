"""Property-based hostile input: whatever an editor (or an attacker) puts in any content file, the loaders and the
validator answer with a site or with `file:line` errors pointing into the project, never with an exception."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, copy_project
from sitegen import build
from sitegen.model import Error
from sitegen.reuse import Reuse

FILES = ["site.yaml", "content/sources.yaml", "content/topics/flights.yaml", "content/topics/meetings.yaml",
         "content/pages/about.md", "seeds/one.txt"]
ORIGINALS = {rel: (FIXTURES / "basic" / rel).read_text(encoding="utf-8") for rel in FILES}

# Pieces of YAML (and of what breaks it): structure, the fixture's own keys and ids, tags, anchors, escapes,
# control and invisible characters, Arabic text.
TOKENS = ["\n", "\n  ", "\n    ", "  ", "- ", ": ", ":", "[", "]", "{", "}", ", ", '"', "'", "#", "|", ">", "? ",
          "---", "...", "%YAML 1.1\n", "&a ", "*a", "<<: ", "!!python/object/apply:os.system ", "!!binary ", "!!set ",
          "!x ", "\\0", "\\x00", "\\u2028", "\t", "\r", "\x07", "\x00", "\u2028", "\x85", "\ufeff", "null", "~",
          "true", "12", "-1", ".nan", "2025-02-27", "2025-02-30", "0x1F", "title", "summary", "facts", "id",
          "text", "citations", "source", "quote", "entities", "names", "roles", "kind", "variants", "date", "value",
          "inferred", "seed", "body", "meeting", "topics", "output_dir", "one", "two", "round-one", "darchiev",
          "flights", "../", "/etc/passwd", "one.txt", "عنوان المقال", "اجتمع الوفدان", "<script>", "`"]

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """One copy of the basic fixture for every example; each example restores the file it changed."""
    root = copy_project("basic", tmp_path_factory.mktemp("properties") / "project")
    return root, Reuse()   # the preview's way: whatever the input, it must report what a cold build would


def build_with(workspace, rel: str, data: bytes):
    root, reuse = workspace
    path = root / rel
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        report = build(root, write_output=False, stages=reuse)
    finally:
        path.write_bytes(original)
    assert_sane(report, root, rel, data)
    return report


def lines_in(data: bytes) -> int:
    """How many lines an editor shows for the file."""
    return len(re.split(r"\r\n|\r|\n", data.decode("utf-8", errors="replace")))


def assert_sane(report, root: Path, rel: str, data: bytes) -> None:
    if not report.errors:
        assert report.site is not None and report.pages > 0
    for e in report.errors:
        assert isinstance(e, Error) and isinstance(e.line, int) and e.line >= 0, e
        path = Path(e.path)
        assert not path.is_absolute() and ".." not in path.parts, e  # a project file, named as the editor sees it
        assert str(e).startswith(f"{e.path}:{e.line}: " if e.line else f"{e.path}: "), e
        if e.path == rel:
            assert e.line <= lines_in(data), (e, data)


@PROPERTY
@given(rel=st.sampled_from(FILES), data=st.binary(max_size=2000))
def test_random_bytes(workspace, rel, data):
    build_with(workspace, rel, data)


yamlish = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)), max_size=80).map("".join)


@PROPERTY
@given(rel=st.sampled_from(FILES), text=yamlish)
def test_random_yaml_like_text(workspace, rel, text):
    build_with(workspace, rel, text.encode("utf-8", errors="surrogatepass"))


@st.composite
def mutation(draw):
    """One of the fixture's files with a few line-level or character-level edits."""
    rel = draw(st.sampled_from(FILES))
    lines = ORIGINALS[rel].split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace", "indent", "dedent", "cut"]))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op in ("insert", "replace", "cut"):
            at = draw(st.integers(0, len(lines[i])))
            piece = draw(st.sampled_from(TOKENS)) if op != "cut" else ""
            end = at if op == "insert" else draw(st.integers(at, len(lines[i])))
            lines[i] = lines[i][:at] + piece + lines[i][end:]
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][2:]
    return rel, "\n".join(lines)


@PROPERTY
@given(case=mutation())
def test_random_mutations_of_the_fixture(workspace, case):
    rel, text = case
    build_with(workspace, rel, text.encode("utf-8", errors="surrogatepass"))


def test_the_workspace_is_restored_and_still_builds(workspace):
    """The properties above leave the fixture as it was (so each example starts from the same site)."""
    report = build_with(workspace, "site.yaml", (FIXTURES / "basic/site.yaml").read_bytes())
    assert report.ok, report.errors


@PROPERTY
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_the_event_reader_never_reads_yaml_differently_from_the_reference(text):
    from test_load import read_both_ways

    fast, reference = read_both_ways(text)
    assert fast == reference
