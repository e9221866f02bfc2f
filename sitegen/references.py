"""The numbered reference list of one page: a marker per citation, a reference per source, lettered
backlinks (أ ب ج) when a source is cited more than once, as on Wikipedia."""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from .model import Citation, Source

ARABIC_LETTERS = "أبجدهوزحطيكلمنسعفصقرشتثخذضظغ"


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

    def __init__(self, page_path: str, look, fmt, note=lambda citation: ""):
        self.page_path = page_path
        self.note = note            # citation -> its popover's HTML for this page (quote, article, date, link)
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
        """The numbered marker in the text: a button opening the quote in a popover beside it (no script needed:
        HTML popover); its id is where the reference list's backlink returns."""
        return Markup(self.marker_text(citation))

    def marker_text(self, citation: Citation) -> str:
        """marker_html() as a plain string, for joining thousands of them into a page."""
        ref, use = self.marker(citation)
        number = self.fmt.digits(ref.number)
        return (f'<sup class="marker"><button type="button" id="{use.marker_id}" popovertarget="{use.marker_id}-note" '
                f'aria-label="المرجع {number}">[{number}]</button></sup><span class="note" id="{use.marker_id}-note" '
                f'popover>{self.note(citation)}</span>')

    def backlinks_html(self, ref: Reference) -> Markup:
        """The way back from a reference to its markers: one arrow, or a letter per use."""
        if len(ref.uses) == 1:
            return Markup(f'        <a href="#{ref.uses[0].marker_id}" aria-label="عودة إلى موضع الاستشهاد">↑</a>')
        return Markup("\n".join(["        ↑"] + [
            f'        <a href="#{use.marker_id}" aria-label="عودة إلى الاستشهاد {use.letter}">{use.letter}</a>'
            for use in ref.uses]))

    def items(self) -> list[Reference]:
        """The references in number order, each use lettered when its source is cited more than once."""
        refs = sorted(self._by_source.values(), key=lambda r: r.number)
        for ref in refs:
            if len(ref.uses) > 1:
                for i, use in enumerate(ref.uses):
                    use.letter = letter(i)
        return refs


def letter(index: int) -> str:
    """أ, ب, … then أأ, أب, … for very long lists."""
    n = len(ARABIC_LETTERS)
    return ARABIC_LETTERS[index] if index < n else letter(index // n - 1) + ARABIC_LETTERS[index % n]
