"""A failed build's errors where the editor looks: over the last good page, on an error page when there is none, and
in the terminal, where no file's or path's characters may act as terminal commands.

The pages are the generator's own templates (the site's templates may be what failed); every error is shown by one
macro, errors.html's `error_item`.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import jinja2
from ..model import Error, terminal

HERE = Path(__file__).parent
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE)), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)
FILES = "/_preview/"    # where the preview serves this folder's stylesheets and scripts
SERVED = (".css", ".js")
# The error page's stylesheet and its one script (livereload's) come from the preview itself, and nothing else.
ERROR_CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; "
             "form-action 'none'")



def newest_first(errors: list[Error], root: Path) -> list[Error]:
    """The errors of the file saved last first, then the others by their files' age; in a file, by line."""
    def saved(error: Error) -> int:
        try:
            return os.stat(root / error.path).st_mtime_ns
        except (OSError, ValueError):   # not a project file (a crash in the generator) or not a file: last
            return 0
    return sorted(errors, key=lambda error: (-saved(error), error.path, error.line))


def error_page(errors: list[Error]) -> bytes:
    """The page every address shows while there has been no good build: every error, as the terminal shows it."""
    return TEMPLATES.get_template("error.html").render(csp=ERROR_CSP, files=FILES, errors=errors).encode("utf-8")


def overlay(errors: list[Error]) -> bytes:
    """What goes at the start of the last good page's body while the build is broken; its own styles apply only
    inside it (a shadow root), and the site's only outside."""
    return TEMPLATES.get_template("overlay.html").render(errors=errors, files=FILES).encode("utf-8")


class TerminalFormatter(logging.Formatter):
    """Log records (tornado's, asyncio's) with their lines escaped like every other line the preview prints."""

    def format(self, record: logging.LogRecord) -> str:
        return "\n".join(map(terminal, super().format(record).splitlines()))
