"""Where every page lives, and links between output files that work under any URL prefix: relative ones between
pages, root-based ones for the 404 page (served at any depth) and absolute ones for canonical and printed addresses.

PATTERNS is the one table of output paths: model objects give their `path` from it, and pages, links, the sitemap
and the dependency records all ask them."""
from __future__ import annotations

PATTERNS = {
    "home": "index.html",
    "topic": "topics/{id}/index.html",
    "topic_part": "topics/{id}/{number}/index.html",             # a long topic's page 2, 3, ...
    "fact": "topics/{topic_id}/index.html#{id}",
    "fact_part": "topics/{topic_id}/{number}/index.html#{id}",     # a fact on a later page of its topic
    "timeline": "timeline/index.html",
    "timeline_part": "timeline/{number}/index.html",
    "disagreements": "disagreements/index.html",
    "issues": "issues/index.html",
    "issue": "issues/index.html#issue-{id}",
    "entities": "entities/index.html",
    "entity": "entities/{id}/index.html",
    "sources": "sources/index.html",
    "source": "sources/{id}/index.html",
    "passage": "sources/{source_id}/index.html#{anchor}",
    "page": "{id}/index.html",
    "data": "data/facts.json",
    "not_found": "404.html",
    "search": "search/index.html",
    # the preview's alone (workbench.py), never in a built site
    "uncited": "preview/uncited/index.html",
    "workbench_script": "preview/workbench.js",
    "workbench_style": "preview/workbench.css",
}


def path_of(kind: str, **fields) -> str:
    """The output path of a page (or of a place on it) of this kind: path_of("entity", id="darchiev")."""
    return PATTERNS[kind].format(**fields)


def numbered(kind: str, number: int, **fields) -> str:
    """Page `number` of a list split into pages: the first at the list's own address (kind), the others at
    kind_part's, numbered from 2."""
    return path_of(kind, **fields) if number == 1 else path_of(kind + "_part", number=number, **fields)


def timeline_path(number: int) -> str:
    return numbered("timeline", number)


def page_url(path: str) -> str:
    """The public URL path of an output file: pretty URLs drop "index.html"."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


def relative_url(from_path: str, to_path: str) -> str:
    """A link from one output file to another (with an optional #anchor) that works under any URL prefix:
    up to the site root ("../" per folder of from_path), then down to the target."""
    to_path, hash_, anchor = to_path.partition("#")
    if to_path == from_path and anchor:
        return "#" + anchor
    return ("../" * from_path.count("/") + page_url(to_path) or "./") + hash_ + anchor


def from_root(root: str, target: str) -> str:
    """The URL of an output file (with an optional #anchor) under a site root that ends in "/"."""
    path, hash_, anchor = target.partition("#")
    return root + page_url(path) + hash_ + anchor


def base_path(base_url: str) -> str:
    """The path part of base_url, always ending in "/": "https://x.org/sub" -> "/sub/"."""
    rest = base_url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path if path.endswith("/") else path + "/"
