"""The generator's code stays readable: no function with more than 20 paths through it (radon's cyclomatic
complexity), and build(), the pipeline a newcomer reads first, at most 10."""
from pathlib import Path

from radon.complexity import cc_visit

from conftest import ROOT

MOST, MOST_FOR_BUILD = 20, 10


def blocks():
    for path in sorted([ROOT / "build.py", *(ROOT / "sitegen").rglob("*.py")]):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            yield path.relative_to(ROOT).as_posix(), block
            for method in getattr(block, "methods", []):
                yield path.relative_to(ROOT).as_posix(), method


def test_no_function_has_more_than_20_paths():
    found = list(blocks())
    assert len(found) > 300     # every module was read
    over = [f"{path}:{b.lineno} {b.fullname} {b.complexity}" for path, b in found if b.complexity > MOST]
    assert over == []


def test_build_reads_as_its_stages():
    build = [b for path, b in blocks() if path == "sitegen/pipeline.py" and b.fullname == "build"]
    assert len(build) == 1 and build[0].complexity <= MOST_FOR_BUILD
