#!/usr/bin/env python3
"""Does the preview's memory stay flat? Resident memory of one preview (sitegen.serve.Preview, in this process)
after its first build and after N one-fact edits, each rebuilt and collected the way the server does after a save
(at its largest after a collection, and once the editor pauses).

    python bench/preview_memory.py                    # the real site, 200 edits; 10,000 facts, 40 edits
    python bench/preview_memory.py --sizes 0:200      # only the real site (size 0), 200 edits
"""
from __future__ import annotations

import argparse
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


def measure(project: Path, edit_file: Path, edits: int, work: Path) -> tuple[float, float, float]:
    """Resident memory after the first build, at its largest after an edit's collection, and once the editor
    pauses: the server's own collections (preview/collector.py), in its order."""
    preview = Preview(project, work / "out", "http://127.0.0.1:8000/", search=False)
    preview.rebuild()
    preview.collect_later()     # without a loop, at once: after the first build, a full collection
    first = largest = resident_mib()
    original = edit_file.read_text(encoding="utf-8")
    for n in range(1, edits + 1):
        edit_file.write_text(edit_first_fact_text(original, "تعديل-" + synth_letters(n)), encoding="utf-8")
        preview.rebuild([edit_file.relative_to(project).as_posix()], collect=False)
        assert not preview.errors, preview.errors[:3]
        preview.collect_later()     # what the server does once the browsers have reloaded: young, or every
        largest = max(largest, resident_mib())  # FULL_EVERY builds full
    preview.collector.full()    # what the server does once the editor pauses
    preview.collector.close()
    return first, largest, resident_mib()
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0:200,10000:40",
                        help="FACTS:EDITS pairs; 0 facts means the real site (default 0:200,10000:40)")
    args = parser.parse_args()
    print(f"{'site':<14} {'edits':>6} {'after first build':>18} {'largest':>12} {'after the edits':>16} "
          f"{'growth':>8}")
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
            first, largest, last = measure(project, edit_file, edits, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"{label:<14} {edits:>6} {first:>14.0f} MiB {largest:>8.0f} MiB {last:>12.0f} MiB {last - first:>+6.0f} MiB",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
