"""Text for readers: safe Markdown, Arabic dates and digits, and isolation of Latin runs inside Arabic."""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
from markupsafe import Markup, escape

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
          "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
SAFE_URL = re.compile(r"^(https?:|mailto:|#|/|\.{0,2}/|[\w\-./]+$)", re.IGNORECASE)
LATIN_RUN = re.compile(r"[A-Za-z\u00C0-\u024F](?:[A-Za-z\u00C0-\u024F0-9'’.\- ]*[A-Za-z\u00C0-\u024F0-9])?")


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


class _ArabicDigits(markdown.treeprocessors.Treeprocessor):
    """Shows the site's own prose in Arabic-Indic digits; attributes (URLs) keep theirs."""

    def run(self, root: etree.Element) -> None:
        for node in root.iter():
            node.text = node.text and node.text.translate(ARABIC_DIGITS)
            node.tail = node.tail and node.tail.translate(ARABIC_DIGITS)


class _SiteMarkdown(markdown.extensions.Extension):
    def __init__(self, arabic_digits: bool):
        super().__init__()
        self.arabic_digits = arabic_digits

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Raw HTML in content is shown as text: without these two, Python-Markdown passes it through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
        if self.arabic_digits:
            md.treeprocessors.register(_ArabicDigits(md), "arabic_digits", 1)


class Formatter:
    """Per-site formatting (digits), with one Markdown parser reused for every field."""

    def __init__(self, digits: str):
        self.arabic_digits = digits == "arab"
        self._md = markdown.Markdown(extensions=[_SiteMarkdown(self.arabic_digits)], output_format="html")
        self._cache: dict[str, Markup] = {}

    def markdown(self, source: str) -> Markup:
        if source not in self._cache:
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
            words.insert(0, MONTHS[int(parts[1]) - 1])
        if len(parts) > 2:
            words.insert(0, str(int(parts[2])))
        return self.digits(" ".join(words))


def isolate_latin(text: str) -> Markup:
    """Escape plain text and wrap Latin runs in <bdi> so they do not reorder the Arabic around them."""
    out, last = [], 0
    for m in LATIN_RUN.finditer(text):
        out.append(escape(text[last:m.start()]))
        out.append(Markup('<bdi dir="ltr">%s</bdi>') % m.group(0))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
