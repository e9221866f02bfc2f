#!/usr/bin/env python3
"""Command line: build, check, preview or count the explainer site.

Exit 0 ok, 1 content errors, 2 usage, 3 the preview cannot listen (port taken)."""
from __future__ import annotations

import gc

if __name__ == "__main__":
    # The cycle collector would walk every object the imports make, ~30 times before the build starts (10-25 ms of
    # a small site's build): a command makes few cycles and exits. Turned back on for the preview, which runs on.
    gc.disable()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from sitegen.model import terminal  # noqa: E402

ROOT = Path(__file__).resolve().parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__)
    parser.add_argument("--project", type=Path, default=ROOT, help="project folder (default: this one)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("build", help="write the site", description="Build the site into the output folder.")
    p.add_argument("--out", type=Path, help="output folder (default: output_dir of site.yaml, _site)")
    p.add_argument("--base-url", help="public URL the site is served from (default: base_url of site.yaml)")

    commands.add_parser("check", help="load and validate everything, write nothing",
                        description="Load, validate, resolve every quote and render in memory; write nothing.")

    p = commands.add_parser("serve", help="preview with live reload",
                            description="Build, serve the output and rebuild on every change, with live reload.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--open", action="store_true", help="open the site in a browser")

    commands.add_parser("stats", help="facts per topic, citations per article, uncited paragraphs",
                        description="Count facts and citations, and list each article's paragraphs no fact cites.")
    return parser.parse_args(argv)


def print_errors(errors) -> None:
    for error in errors:
        print(terminal(str(error)), file=sys.stderr)
    print(f"{len(errors)} error{'s' if len(errors) != 1 else ''}; nothing was written.", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    return execute(parse_args(sys.argv[1:] if argv is None else argv))


def execute(args: argparse.Namespace) -> int:
    try:
        return run(args)
    except OSError as exc:  # a disk or permission failure outside the files build() checks: one line, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(terminal(f"build.py: {exc.strerror or exc}{where}"), file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    from sitegen import build

    root = args.project.resolve()
    if not (root / "site.yaml").is_file():
        print(f"build.py: no site.yaml in {root}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from sitegen.serve import serve
        gc.enable()
        return serve(root, args.host, args.port, args.open)
    if args.command == "stats":
        from sitegen.stats import stats
        site, errors = stats(root)
        if errors:
            print_errors(errors)
            return 1
        print(site, end="")
        return 0
    if args.command == "build":
        report = build(root, args.out, args.base_url)
    else:  # check renders in memory and writes nothing
        report = build(root, write_output=False)
    if report.errors:
        print_errors(report.errors)
        return 1
    for warning in report.warnings:
        print(terminal(f"warning: {warning}"), file=sys.stderr)
    verb = "checked" if args.command == "check" else f"wrote {report.out_dir}:"
    print(f"{verb} {report.pages} pages, {report.files} files in {report.seconds * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    try:
        status = execute(arguments)
    except KeyboardInterrupt:
        sys.exit(130)
    if arguments.command == "serve" or sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(status)    # a profiler or coverage writes its data as Python exits: it gets the usual exit
    # A one-off command leaves freeing what it made (the site, the templates, the pages' records) to the system:
    # Python's own teardown of it took 30-70 ms on the real site, 340-390 ms at 10,000 facts. All it wrote is closed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
