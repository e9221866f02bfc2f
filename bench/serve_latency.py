#!/usr/bin/env python3
"""Median time from saving a fact file to the reloaded page in headless Chromium, on a copy of the real project.

    .venv/bin/python bench/serve_latency.py [--edits 10] [--topic flights]

Starts `build.py serve` on the copy, opens the topic's page, then edits the text of its first fact again and again.
Each time runs from the moment the file is saved (its write has returned) to the page's own load event, read from
the page's navigation timing, so neither this script's waiting nor Playwright's latency adds to it.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the browser tests' Chromium, launched alike)
from test_serve import ServeProcess, copy_real_project, first_fact_edited, mark  # noqa: E402

CONNECTED = "() => window.LiveReload && window.LiveReload.connector.protocol > 0"
LOADED_AT = "() => performance.timeOrigin + performance.getEntriesByType('navigation')[0].loadEventStart"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--topic", default="flights", help="the topic file to edit, content/topics/TOPIC.yaml")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="serve-latency-") as tmp:
        project = copy_real_project(Path(tmp) / "project")
        topic = project / "content/topics" / f"{args.topic}.yaml"
        original = topic.read_text(encoding="utf-8")
        server = ServeProcess(project)
        times = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page()
                page.goto(f"{server.url}topics/{args.topic}/")
                for i in range(args.edits):
                    page.wait_for_function(CONNECTED, timeout=15_000)
                    words = f"تعديل {mark(i)}"
                    with page.expect_event("load", timeout=15_000):
                        topic.write_text(first_fact_edited(original, words), encoding="utf-8")
                        saved = time.time() * 1000
                    times.append(page.evaluate(LOADED_AT) - saved)
                    assert words in page.inner_text("main"), f"edit {i + 1} is not on the reloaded page"
                    print(f"edit {i + 1:2}: {times[-1]:5.0f} ms", flush=True)
                browser.close()
        finally:
            server.stop()
        rebuilds = [line for line in server.rebuilds() if " ms" in line]
        print("".join("  server: " + line for line in rebuilds), end="")
        build_ms = [float(re.search(r"(\d+) ms$", line).group(1)) for line in rebuilds]
        print(f"median save-to-reload: {statistics.median(times):.0f} ms over {len(times)} edits of "
              f"content/topics/{args.topic}.yaml (min {min(times):.0f}, max {max(times):.0f}); "
              f"median rebuild {statistics.median(build_ms):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
