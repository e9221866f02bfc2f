"""Small helpers the stage tests share: edit a fixture file in place, read a built tree, split a project into pages."""
from __future__ import annotations

from pathlib import Path


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line containing needle."""
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def in_pages(root: Path) -> Path:
    """The project with its topics and timeline two facts a page (the basic fixture: meetings and the timeline
    then have two pages)."""
    site = root / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "facts_per_page: 2\ntimeline_page_size: 2\n", encoding="utf-8")
    return root
