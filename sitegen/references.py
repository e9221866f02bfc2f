"""The numbered reference list of one page: a marker per citation, a reference per source, lettered
backlinks (أ ب ج, templates/messages.po) when a source is cited more than once, as on Wikipedia."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from .fragments import place
from .model import Citation, Source


@dataclass
class Use:
    """One marker in the text and the quote it stands for."""
    citation: Citation
    marker_id: str
    letter: str = ""


@dataclass
class Reference:
    number: int
    source: Source
    uses: list[Use] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"ref-{self.number}"


class References:
    """Filled while a page renders: `marker(citation)` numbers it, `items()` lists what was numbered."""

    def __init__(self, page_path: str, look, fmt, note, markers: MarkerTemplate):
        self.page_path = page_path
        self.note = note            # citation -> what its marker opens (quote, article, date, link), not placed
        self.markers = markers
        self.look = look
        self.fmt = fmt
        self._by_source: dict[str, Reference] = {}
        self._uses: dict[int, Use] = {}

    def marker(self, citation: Citation) -> tuple[Reference, Use]:
        """The reference and use for a citation, numbering it on first sight (page order)."""
        if id(citation) in self._uses:
            use = self._uses[id(citation)]
            return self._by_source[citation.source_id], use
        ref = self._by_source.get(citation.source_id)
        if ref is None:
            ref = Reference(len(self._by_source) + 1, self.look.sources[citation.source_id])
            self._by_source[citation.source_id] = ref
        use = Use(citation, f"cite-{ref.number}-{len(ref.uses) + 1}")
        ref.uses.append(use)
        self._uses[id(citation)] = use
        return ref, use

    def marker_html(self, citation: Citation) -> Markup:
        """The numbered marker in the text, opening the quote below its line (partials/footnotes.html marker())."""
        return Markup(place(self.marker_text(citation), self.page_path))

    def marker_text(self, citation: Citation) -> str:
        """marker_html() as a plain string with its links not yet placed, for a fact's fragment (fragments.py),
        which places its markers with the rest of the fact in one pass."""
        ref, use = self.marker(citation)
        return self.markers.fill(self.fmt.digits(ref.number), use.marker_id, self.note(citation))

    def items(self) -> list[Reference]:
        """The references in number order, each use lettered when its source is cited more than once."""
        refs = sorted(self._by_source.values(), key=lambda r: r.number)
        for ref in refs:
            if len(ref.uses) > 1:
                for i, use in enumerate(ref.uses):
                    use.letter = self.fmt.letter(i)
        return refs


class MarkerTemplate:
    """The marker() macro of partials/footnotes.html, rendered once with placeholders and then filled in by
    str.format for each marker: a page holds thousands of markers, too many to call a macro for each."""

    FIELDS = ("number", "marker_id", "note")

    def __init__(self, env):
        self.env = env
        self._format: str | None = None

    def fill(self, number: str, marker_id: str, note: str) -> str:
        if self._format is None:
            tokens = {name: f"\x00{name}\x00" for name in self.FIELDS}    # escaped content never holds a NUL
            self.env.recorder.start()   # the templates it loads: read by every page showing a marker
            try:
                module = self.env.get_template("partials/footnotes.html").make_module({})
                html = str(module.marker(*map(Markup, tokens.values()))).replace("{", "{{").replace("}", "}}")
            finally:
                self._reads = self.env.recorder.stop(merge=False)
            for name, token in tokens.items():
                html = html.replace(token, "{" + name + "}")
            self._format = html
        self.env.recorder.add(self._reads)
        return self._format.format(number=number, marker_id=marker_id, note=note)


class ListTemplate:
    """The footnotes() macro of partials/footnotes.html (a page's reference list) cut, by rendering it with
    placeholder references, into what comes before the references, one format per reference and what comes
    after; a page's list is then filled in by str.format, ~32,000 references a large site, each a macro call
    otherwise. A reference's format depends on how many uses it has (backlinks() branches on it): one format per
    count. Each format is checked against the macro, given the first real reference with that count; on any
    difference, or a macro the placeholders cannot render (a reference's part of the list not one repeated
    piece, loop.index; a value the macro computes with), the macro renders every list of the build."""

    def __init__(self, env):
        self.env = env
        self._reads = frozenset()   # the templates the placeholder renders loaded: read by every list
        self._ends: tuple[str, str] | None = None      # (before the references, after them)
        self._formats: dict[int, str] = {}              # uses -> a reference's format
        self._checked: set[int] = set()
        self._escaped = Escaped()
        self.off = False

    def render(self, context: dict, macro) -> str:
        """The page's list; `macro()` renders it through the template."""
        refs = context["refs"].items()
        if self.off or not refs:
            return macro()
        try:
            formats = [self._format(len(ref.uses)) for ref in refs]
        except Exception:   # a macro reading what the placeholders lack: the template decides, every page
            self.off = True
            return macro()
        self.env.recorder.add(self._reads)
        digits, source, quotes = context["digits"], context["cited_source"], context["quotes"]
        head, tail = self._ends
        items = [self._fill(f, ref, digits(ref.number), source(ref.source), quotes(ref))
                 for f, ref in zip(formats, refs)]
        for ref, item in zip(refs, items):
            if len(ref.uses) not in self._checked and not self._check(context, ref, head + item + tail):
                self.off = True
                return macro()
        return head + "".join(items) + tail

    def _fill(self, pattern: str, ref: Reference, digits, source, quotes) -> str:
        html = self._escaped.html
        slots = {"id": html(ref.id), "number": html(ref.number), "digits": html(digits), "source": html(source),
                 "quotes": html(quotes)}
        for i, use in enumerate(ref.uses):
            slots[f"marker_id{i}"], slots[f"letter{i}"] = html(use.marker_id), html(use.letter)
        return pattern.format_map(slots)

    def _check(self, context: dict, ref: Reference, html: str) -> bool:
        """Whether the macro makes `html` of a list of this one reference, with this page's values."""
        self._checked.add(len(ref.uses))
        alone = dict(context, refs=Placeholders([ref]))
        return str(self.env.get_template("partials/footnotes.html").make_module(alone).footnotes()) == html

    def _format(self, uses: int) -> str:
        found = self._formats.get(uses)
        if found is None:
            one = self._placeholders([Placeholder("a", uses)])
            two = self._placeholders([Placeholder("a", uses), Placeholder("b", uses)])
            head, item, tail = repeat_split(one, two)
            if self._ends is None:
                self._ends = (head, tail)
            if self._ends != (head, tail):
                raise ValueError("the list around its references depends on them")
            found = self._formats[uses] = as_format(item)
        return found

    def _placeholders(self, refs: list) -> str:
        names = {"refs": Placeholders(refs), "digits": lambda n: n.replace("\x00number", "\x00digits"),
                 "cited_source": lambda s: Markup(s), "quotes": lambda r: Markup(r.quotes)}
        self.env.recorder.start()
        try:
            module = self.env.get_template("partials/footnotes.html").make_module(names)
            return str(module.footnotes())
        finally:
            self._reads = self._reads | self.env.recorder.stop(merge=False)


class Placeholder:
    """A reference as the placeholder render gives it: a token (\\x00field.tag\\x00) for each value."""

    def __init__(self, tag: str, uses: int):
        def token(name: str) -> str:
            return f"\x00{name}.{tag}\x00"     # escaped content never holds a NUL
        self.id, self.number, self.source, self.quotes = (token(n) for n in ("id", "number", "source", "quotes"))
        self.uses = [Use(None, token(f"marker_id{i}"), token(f"letter{i}")) for i in range(uses)]


class Placeholders:
    """What the macro takes as `refs`: a given list of references."""

    def __init__(self, refs: list):
        self.refs = refs

    def items(self) -> list:
        return self.refs


def repeat_split(one: str, two: str) -> tuple[str, str, str]:
    """(before, reference, after) such that `one` (a list of reference "a") is before + reference + after and
    `two` (references "a" and "b") is before + reference + reference with b's tokens + after."""
    size = len(two) - len(one)
    first, last = one.find("\x00"), one.rfind("\x00")
    for start in range(first, max(last + 1 - size, 0) - 1, -1):
        item = one[start:start + size]
        if two == one[:start + size] + item.replace(".a\x00", ".b\x00") + one[start + size:]:
            return one[:start], item, one[start + size:]
    raise ValueError("the references of the list are not one repeated part")


def as_format(item: str) -> str:
    """A placeholder reference as a str.format pattern: "\\x00field.a\\x00" becomes "{field}"."""
    return re.sub("\x00([a-z_0-9]+)\\.a\x00", r"{\1}", item.replace("{", "{{").replace("}", "}}"))


class Escaped(dict):
    """Plain strings escaped as the template escapes them, each once: a site's ids, numbers and letters are a few
    hundred strings, escaped ~150,000 times otherwise."""

    def __missing__(self, text) -> str:
        self[text] = str(escape(text))
        return self[text]

    def html(self, value) -> str:
        return value.__html__() if hasattr(value, "__html__") else self[str(value)]
