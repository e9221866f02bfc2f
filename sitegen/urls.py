"""Links between output files that work under any URL prefix: relative ones between pages, root-based ones for
the 404 page (served at any depth) and absolute ones for canonical and printed addresses."""
from __future__ import annotations


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
