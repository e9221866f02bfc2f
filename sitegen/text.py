"""Text for readers: safe Markdown, Arabic dates and digits, and isolation of Latin runs inside Arabic."""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
from markupsafe import Markup, escape

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SAFE_URL = re.compile(r"^(https?:|mailto:|#|/|\.{0,2}/|[\w\-./]+$)", re.IGNORECASE)
LATIN_RUN = re.compile(r"[A-Za-z\u00C0-\u024F](?:[A-Za-z\u00C0-\u024F0-9'’.\- ]*[A-Za-z\u00C0-\u024F0-9])?")
# One line with nothing Markdown or HTML would read as markup: no markup characters, no block marker in front.
PLAIN_SENTENCE = re.compile(r"(?![#>=+\-]|\d+[.)]|\s)[^\n*_`\[\]<>&\\\"'!]*(?<!\s)\Z")
# In Markdown prose: a Python-Markdown placeholder for an entity or escape (kept as it is), or a Latin run.
PROSE_TOKEN = re.compile(r"(?P<stash>\x02[^\x03]*\x03)|(?P<latin>%s)" % LATIN_RUN.pattern)


class _SafeLinks(markdown.treeprocessors.Treeprocessor):
    """Drops link targets that could run code (javascript:, data:) and images that would load from elsewhere."""

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "a" and not SAFE_URL.match(child.get("href", "").strip()):
                    child.set("href", "#")
                if child.tag == "img":
                    span = etree.Element("span")
                    span.text = child.get("alt", "")
                    span.tail = child.tail
                    parent.insert(list(parent).index(child), span)
                    parent.remove(child)


class _SiteProse(markdown.treeprocessors.Treeprocessor):
    """The site's own prose as isolate_latin() treats plain text: Latin runs in <bdi dir="ltr">; with digits: arab,
    the other digits Arabic-Indic. Attributes (URLs) and Python-Markdown's placeholders (\x02...\x03) are kept."""

    def __init__(self, md: markdown.Markdown, arabic_digits: bool):
        super().__init__(md)
        self.digits = ARABIC_DIGITS if arabic_digits else {}

    def run(self, root: etree.Element) -> None:
        for node in list(root.iter()):
            if node.tag in ("bdi", "code", "pre"):
                continue
            children = list(node)
            node.text, runs = self.split(node.text)
            for index, bdi in enumerate(runs):
                node.insert(index, bdi)
            for child in children:
                child.tail, runs = self.split(child.tail)
                at = list(node).index(child) + 1
                for index, bdi in enumerate(runs):
                    node.insert(at + index, bdi)

    def split(self, text: str | None) -> tuple[str | None, list[etree.Element]]:
        """The text before the first Latin run, and a <bdi> per run whose tail holds the text up to the next."""
        if not text:
            return text, []
        pieces, last = [], 0
        for m in PROSE_TOKEN.finditer(text):
            pieces.append(text[last:m.start()].translate(self.digits))
            pieces.append(m.group(0) if m.group("stash") else _bdi(m.group(0)))
            last = m.end()
        pieces.append(text[last:].translate(self.digits))
        head, runs = "", []
        for piece in pieces:
            if isinstance(piece, etree.Element):
                runs.append(piece)
            elif runs:
                runs[-1].tail = (runs[-1].tail or "") + piece
            else:
                head += piece
        return head, runs


def _bdi(text: str) -> etree.Element:
    element = etree.Element("bdi", {"dir": "ltr"})
    element.text = text
    return element


class _SiteMarkdown(markdown.extensions.Extension):
    def __init__(self, arabic_digits: bool):
        super().__init__()
        self.arabic_digits = arabic_digits

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Raw HTML in content is shown as text: without these two, Python-Markdown passes it through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
        md.treeprocessors.register(_SiteProse(md, self.arabic_digits), "site_prose", 1)


class Formatter:
    """Per-site formatting (digits; dates and letters in the words of the templates' catalog, i18n.Catalog), with
    one Markdown parser reused for every field."""

    def __init__(self, digits: str, catalog=None, shortcut: bool = True):
        """shortcut=False runs Markdown on every text, plain sentences too (the reference the shortcut matches)."""
        self.arabic_digits, self.catalog, self.shortcut = digits == "arab", catalog, shortcut
        self._md = markdown.Markdown(extensions=[_SiteMarkdown(self.arabic_digits)], output_format="html")
        self._cache: dict[str, Markup] = {}

    def markdown(self, source: str) -> Markup:
        if source not in self._cache:
            if self.shortcut and PLAIN_SENTENCE.match(source):
                # what Markdown would make of it, without running Markdown (about 0.2 ms a sentence)
                html = f"<p>{isolate_latin(source, self.arabic_digits)}</p>"
            else:
                html = self._md.reset().convert(source)
            self._cache[source] = Markup(html)
        return self._cache[source]

    def markdown_inline(self, source: str) -> Markup:
        """Markdown for one sentence: the paragraph wrapper removed."""
        html = str(self.markdown(source))
        if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
            html = html[3:-4]
        return Markup(html)

    def digits(self, value) -> str:
        text = str(value)
        return text.translate(ARABIC_DIGITS) if self.arabic_digits else text

    def date(self, value: str) -> str:
        """"2025-02-27" -> "٢٧ فبراير ٢٠٢٥"; a partial date shows only what it has."""
        parts = value.split("-")
        words = [parts[0]]
        if len(parts) > 1:
            words.insert(0, self.catalog.months[int(parts[1]) - 1])
        if len(parts) > 2:
            words.insert(0, str(int(parts[2])))
        return self.digits(" ".join(words))

    def letter(self, index: int) -> str:
        """The index-th of the letters the catalog lists (أ, ب, ج… in abjad order), then أأ, أب… past the last."""
        letters = self.catalog.gettext("backlink letters")
        n = len(letters)
        return letters[index] if index < n else self.letter(index // n - 1) + letters[index % n]


def isolate_latin(text: str, arabic_digits: bool = False) -> Markup:
    """Escape plain text and wrap Latin runs in <bdi> so they do not reorder the Arabic around them; with
    arabic_digits, the digits outside those runs Arabic-Indic."""
    out, last = [], 0
    for m in LATIN_RUN.finditer(text):  # joined as plain strings: Markup's own join escapes every piece again
        piece = text[last:m.start()]    # translated only for digits: str.translate copies char by char
        out.append(escape(piece.translate(ARABIC_DIGITS) if arabic_digits else piece))
        out.append(f'<bdi dir="ltr">{escape(m.group(0))}</bdi>')
        last = m.end()
    out.append(escape(text[last:].translate(ARABIC_DIGITS) if arabic_digits else text[last:]))
    return Markup("".join(out))
