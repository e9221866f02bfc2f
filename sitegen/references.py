"""The numbered reference list of one page: a marker per citation, a reference per source, lettered
backlinks (أ ب ج, templates/messages.po) when a source is cited more than once, as on Wikipedia."""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

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
