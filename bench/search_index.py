#!/usr/bin/env python3
"""The search index's share of a build: records made from the content, then Pagefind run on them, on synthetic
sites (bench/synth.py) and the real one. Prints medians, how many parts the index has and the peak memory of the
largest Pagefind process (ru_maxrss; each site is measured in a process of its own); checks that two runs give the
same bundle.

    .venv/bin/python bench/search_index.py                       # 1,000 and 10,000 facts, and the real site
    .venv/bin/python bench/search_index.py --sizes 10000 --runs 3
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import synth  # noqa: E402
from sitegen.citations import resolve_citations  # noqa: E402
from sitegen.load import load  # noqa: E402
from sitegen.search import PARTS, records, search_bundle  # noqa: E402


def measure(root: Path, runs: int) -> dict:
    site, errors = load(root)
    assert site is not None and not errors, errors
    resolve_citations(site)
    made, indexed, bundles = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        recs = records(site)
        made.append(time.perf_counter() - started)
        started = time.perf_counter()
        bundles.append(search_bundle(recs))
        indexed.append(time.perf_counter() - started)
    return {"facts": len(site.facts()), "records": len(recs), "records_s": statistics.median(made),
            "pagefind_s": statistics.median(indexed), "files": len(bundles[0]),
            "bytes": sum(map(len, bundles[0].values())), "same": all(b == bundles[0] for b in bundles),
            "parts": 1 + len(json.loads(bundles[0][PARTS])),
            "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)   # measure this project, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.runs)))
        return 0
    print(f"{'site':<14}{'facts':>7}{'records':>9}{'records':>10}{'pagefind':>10}{'parts':>6}{'peak':>9}{'files':>7}"
          f"{'MB':>7}  same bytes")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(f"{int(n):,} facts", synth.write_project(Path(tmp) / n, int(n)).root)
                for n in args.sizes.split(",") if n]
        for name, root in rows + [("real site", ROOT)]:
            r = json.loads(subprocess.run([sys.executable, __file__, "--one", str(root), "--runs", str(args.runs)],
                                          check=True, capture_output=True, text=True).stdout)
            print(f"{name:<14}{r['facts']:>7,}{r['records']:>9,}{r['records_s'] * 1000:>8.0f} ms"
                  f"{r['pagefind_s']:>8.2f} s{r['parts']:>6}{r['peak_mib']:>5.0f} MiB{r['files']:>7,}"
                  f"{r['bytes'] / 1e6:>7.1f}  {r['same']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
