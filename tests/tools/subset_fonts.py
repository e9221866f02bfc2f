#!/usr/bin/env python3
"""Remake static/fonts/: Noto Naskh Arabic (regular and bold) cut down to the Arabic block, with every OpenType
layout feature kept so letters still join and lam-alef still forms its ligature.

    .venv/bin/python tests/tools/subset_fonts.py

Takes the font from the npm package @fontsource/noto-naskh-arabic (fetched with `npm pack` into a temporary
folder) and subsets it with fontTools' pyftsubset. tests/test_browser_publish.py checks the result by rendering.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from fontTools import subset

PACKAGE = "@fontsource/noto-naskh-arabic@5.3.0"
FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
# The Arabic block, the joiners and direction marks, and the dotted circle shapers draw under a lone mark.
UNICODES = "U+0600-06FF,U+200C-200F,U+25CC"
WEIGHTS = {400: "regular", 700: "bold"}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(next(Path(tmp).glob("*.tgz"))) as tar:
            tar.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        FONTS.mkdir(parents=True, exist_ok=True)
        for weight, name in WEIGHTS.items():
            out = FONTS / f"noto-naskh-arabic-{name}.woff2"
            subset.main([str(package / "files" / f"noto-naskh-arabic-arabic-{weight}-normal.woff2"),
                         f"--unicodes={UNICODES}", "--layout-features=*", "--no-hinting", "--flavor=woff2",
                         f"--output-file={out}"])
            print(f"{out.relative_to(FONTS.parent.parent)}: {out.stat().st_size} bytes")
        shutil.copyfile(package / "LICENSE", FONTS / "OFL.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
