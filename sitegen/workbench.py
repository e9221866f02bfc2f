"""The preview's citation workbench: what its script needs to turn a selection on a source page into a citation to
paste (the seed itself and who cites where), the sentences no quote touches yet, and its own script and stylesheet.
Nothing here reaches a built site."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .citations import line_starts
from .model import Source
from .sourcetext import citer_title, read_article, spans_of, uncited_anchor, uncited_sentences
from .urls import path_of

HERE = Path(__file__).resolve().parent / "preview"
FILES = {path_of(kind): (HERE / name).read_bytes()
         for kind, name in (("workbench_script", "workbench.js"), ("workbench_style", "workbench.css"))}


@dataclass
class Uncited:
    line: int
    text: str
    target: str             # the sentence marked on its source page; "" in excerpt mode, which shows it nowhere


def cite_data(source: Source, look, url, recorder) -> dict:
    """What the script reads: the seed's text (offsets are code points, as the site's), the body's span, each quoted
    span with the facts and entities citing it, and how each of those is named and reached."""
    citers = read_article(source, look, recorder)
    starts, lines = line_starts(source.text), source.lines()
    first, last = source.body
    return {
        "source": source.id,
        "text": source.text,
        "body": [starts[first - 1], starts[last - 1] + len(lines[last - 1])],
        "cites": [[s.start, s.end, [n - 1 for n, _ in s.citers]] for s in spans_of(source, look)],
        "citers": [[citer_title(item), url(item)] for item in citers],
    }


def uncited(source: Source, look, recorder) -> list[Uncited]:
    """The sentences of the article's body no quote touches, each with where it is marked on its page. Only where
    the article is quoted is read, not by what: a fact's text edited leaves this list as it was."""
    recorder.whole(source)
    spans = look.quoted.get(source.id, [])
    shown = look.site.config.source_text == "full"
    return [Uncited(line, source.text[a:b],
                    path_of("passage", source_id=source.id, anchor=uncited_anchor(a, b)) if shown else "")
            for line, a, b in uncited_sentences(source, spans)]
