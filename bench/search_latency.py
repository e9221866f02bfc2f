#!/usr/bin/env python3
"""A search query's time in headless Chromium on the real site: from typing the query to its results on screen,
once Pagefind is loaded (the first query also loads its index chunks). Prints the median of each query.

    .venv/bin/python bench/search_latency.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, serve_directory  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sitegen import build  # noqa: E402

QUERIES = ["دارتشييف", "لافروف", "الرحلات الجويه", "سيرغي لافروف", "اسطنبول", "السفاره", "الممتلكات الدبلوماسيه"]
TIMED = """async q => { const input = document.getElementById('search-query'), list = document.getElementById('search-results');
  const start = performance.now(); input.value = q; input.dispatchEvent(new Event('input'));
  while (list.dataset.query !== q) await new Promise(r => requestAnimationFrame(r));
  return performance.now() - start; }"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = build(ROOT, Path(tmp) / "_site")
        assert report.ok, report.errors
        base, stop = serve_directory(report.out_dir)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(base + "search/")
            first = page.evaluate(TIMED, "مصرف")      # loads Pagefind, its WebAssembly and index
            print(f"first query, Pagefind loading with it: {first:.0f} ms")
            for q in QUERIES:
                times = [page.evaluate(TIMED, q) for _ in range(5) if page.evaluate(TIMED, "") is not None]
                print(f"{q}: median {statistics.median(times):.0f} ms (first {times[0]:.0f} ms)")
            browser.close()
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
