#!/usr/bin/env python3
"""Does the preview's memory stay flat? Resident memory of one preview (sitegen.serve.Preview, in this process)
after its first build and after N one-fact edits, each rebuilt the way the server rebuilds after a save.

    python bench/preview_memory.py                    # the real site, 200 edits; 10,000 facts, 40 edits
    python bench/preview_memory.py --sizes 0:200      # only the real site (size 0), 200 edits
"""
from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import synth  # noqa: E402  (bench/ is on sys.path when this file runs)
from bench import copy_real_project, edit_first_fact_text, synth_letters  # noqa: E402
from sitegen.serve import Preview  # noqa: E402


def resident_mib() -> float:
    """This process's resident memory now (not its peak), from /proc."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


def measure(project: Path, edit_file: Path, edits: int, work: Path) -> tuple[float, float]:
    preview = Preview(project, work / "out", "http://127.0.0.1:8000/", search=False)
    preview.rebuild()
    preview.collect_garbage()   # as the server does after every build, the first too
    first = resident_mib()
    original = edit_file.read_text(encoding="utf-8")
    for n in range(1, edits + 1):
        edit_file.write_text(edit_first_fact_text(original, "تعديل-" + synth_letters(n)), encoding="utf-8")
        preview.rebuild([edit_file.relative_to(project).as_posix()], collect=False)
        assert not preview.errors, preview.errors[:3]
        preview.collect_garbage()   # what the server does once the browsers have reloaded
    gc.collect()
    return first, resident_mib()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0:200,10000:40",
                        help="FACTS:EDITS pairs; 0 facts means the real site (default 0:200,10000:40)")
    args = parser.parse_args()
    print(f"{'site':<14} {'edits':>6} {'after first build':>18} {'after the edits':>16} {'growth':>8}")
    for pair in args.sizes.split(","):
        facts, edits = (int(x) for x in pair.split(":"))
        work = Path(tempfile.mkdtemp(prefix="preview-memory-"))
        try:
            if facts:
                info = synth.write_project(work / "site", facts)
                project, edit_file, label = info.root, info.edit_file, f"{facts:,} facts"
            else:
                project = copy_real_project(work / "site")
                edit_file, label = project / "content/topics/talks.yaml", "real site"
            first, last = measure(project, edit_file, edits, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"{label:<14} {edits:>6} {first:>14.0f} MiB {last:>12.0f} MiB {last - first:>+6.0f} MiB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
