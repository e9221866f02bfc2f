#!/usr/bin/env python3
"""Page weight: each built page's HTML plus the stylesheets, fonts, icons and images it loads, gzipped as a host
would serve them (woff2 and other compressed formats counted as they are). Prints the largest and the median.

    .venv/bin/python bench/page_weight.py            # builds this project's site into a temporary folder
    .venv/bin/python bench/page_weight.py _site      # an already built site
    .venv/bin/python bench/page_weight.py --json _site
"""
from __future__ import annotations

import argparse
import gzip
import html.parser
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPRESSED = {".woff2", ".woff", ".png", ".jpg", ".jpeg", ".webp", ".avif", ".gif"}
LOADED_RELS = {"stylesheet", "icon", "preload", "modulepreload"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")#?]+)""")


class _Loads(html.parser.HTMLParser):
    """The site-relative files a page makes the browser fetch."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and LOADED_RELS & set((a.get("rel") or "").split()):
            self.urls.append(a.get("href") or "")
        elif tag in ("img", "script", "source") and a.get("src"):
            self.urls.append(a["src"])


def wire_size(path: Path) -> int:
    data = path.read_bytes()
    return len(data) if path.suffix in COMPRESSED else len(gzip.compress(data, compresslevel=9))


def page_files(site: Path, page: Path) -> set[Path]:
    """The page and everything it loads, with the files its stylesheets load in turn (each counted once)."""
    parser = _Loads()
    parser.feed(page.read_text(encoding="utf-8"))
    files, queue = {page}, [(page, u) for u in parser.urls]
    while queue:
        referrer, url = queue.pop()
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.I):
            continue        # another host: the publish tests forbid it
        base = site if url.startswith("/") else referrer.parent
        target = (base / url.split("#")[0].split("?")[0].lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if target.is_file() and target not in files:
            files.add(target)
            if target.suffix == ".css":
                queue += [(target, u) for u in CSS_URL.findall(target.read_text(encoding="utf-8"))]
    return files


def measure(site: Path) -> dict:
    sizes = {p.relative_to(site).as_posix(): sum(map(wire_size, page_files(site, p)))
             for p in sorted(site.rglob("*.html"))}
    largest = max(sizes, key=sizes.get)
    return {"pages": len(sizes), "largest_page": largest, "largest_bytes": sizes[largest],
            "median_bytes": int(statistics.median(sizes.values())),
            "html_only_largest_bytes": max(wire_size(site / p) for p in sizes), "by_page": sizes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, help="a built site (default: build this project now)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            sys.path.insert(0, str(ROOT))
            from sitegen import build
            report = build(ROOT, Path(tmp) / "_site")
            if not report.ok:
                print("\n".join(map(str, report.errors)), file=sys.stderr)
                return 1
            site = report.out_dir
        result = measure(site)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    top = sorted(result["by_page"].items(), key=lambda kv: -kv[1])[:5]
    print(f"{result['pages']} pages; gzipped HTML + CSS + fonts + icons each page loads:")
    print(f"  largest  {result['largest_bytes'] / 1024:7.1f} KiB  {result['largest_page']}")
    print(f"  median   {result['median_bytes'] / 1024:7.1f} KiB")
    print(f"  largest HTML alone {result['html_only_largest_bytes'] / 1024:.1f} KiB")
    print("  heaviest: " + ", ".join(f"{p} {b / 1024:.1f} KiB" for p, b in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
