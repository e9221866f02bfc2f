#!/usr/bin/env python3
"""What the preview's search index costs the server when it lands, on a synthetic site (bench/synth.py).

    .venv/bin/python bench/search_landing.py --facts 10000

One preview (sitegen.serve.Preview, no server): the first build, the idle collection the server makes, then the
index made and put in place by its thread. Prints the longest a 1 ms sleep of the main thread (where the server's
loop runs) took meanwhile, the time take_search() (on the loop) took, and the next three rebuilds' lines (the files
each wrote and kept).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

import synth  # noqa: E402
from sitegen.serve import Preview  # noqa: E402
from test_serve import first_fact_edited  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=10000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="search-landing-") as tmp:
        info = synth.write_project(Path(tmp) / "project", args.facts)
        preview = Preview(info.root, Path(tmp) / "site", "http://127.0.0.1:8000/")
        print("first", preview.rebuild(), flush=True)     # starts the index at once: there is no loop
        gc.collect()
        started, longest = time.perf_counter(), 0.0
        while not preview.search.fresh:
            at = time.perf_counter()
            time.sleep(0.001)
            longest = max(longest, time.perf_counter() - at)
        print(f"index in place after {time.perf_counter() - started:.1f} s; "
              f"the main thread's longest 1 ms sleep meanwhile: {longest * 1000:.1f} ms")
        at = time.perf_counter()
        preview.take_search()
        print(f"take_search on the loop: {(time.perf_counter() - at) * 1000:.1f} ms")
        topic = info.edit_file
        for step in range(3):
            topic.write_text(first_fact_edited(topic.read_text(encoding="utf-8"), f"تعديل {step}:"), encoding="utf-8")
            print("rebuild", preview.rebuild([topic.name]), flush=True)
        preview.search.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
