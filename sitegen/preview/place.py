"""Which page of a series in pages (a long topic, the timeline: facts_per_page) now holds an element: a save that
adds or removes a fact before the one the editor was reading moves it to the next or the previous page, and the
preview's place.js follows it there. Read from the site as written, the pages the preview serves."""
from __future__ import annotations

import html
import re
from pathlib import Path

# topics/visas/3/ -> topics/visas/: page N of a list is at its first page's address + "N/" (urls.py, "_part")
NUMBERED = re.compile(r"(?P<series>(?:[^/]+/)*?)(?:\d+/)?")


def page_holding(out: Path, page: str, ident: str) -> str | None:
    """The address, from the site's root ("topics/visas/4/"), of the page of `page`'s series holding an element
    with this id; None if none does or `page` is no page of the site."""
    match = NUMBERED.fullmatch(page)
    if match is None or ".." in page.split("/") or not ident:
        return None
    series = match["series"]
    folder = out / series
    if not folder.resolve().is_relative_to(out.resolve()):
        return None
    wanted = f' id="{html.escape(ident)}"'.encode()
    later = sorted(_numbered(folder), key=lambda entry: int(entry.name))
    pages = [(series, folder / "index.html")] + [(f"{series}{entry.name}/", entry / "index.html") for entry in later]
    for address, file in pages:
        try:
            if wanted in file.read_bytes():
                return address
        except OSError:
            continue
    return None


def _numbered(folder: Path) -> list[Path]:
    try:
        return [entry for entry in folder.iterdir() if entry.name.isdigit() and entry.is_dir()]
    except OSError:
        return []
