"""The project's sources, and their changes in batches as the operating system reports them (watchfiles).

watchfiles collects the OS's notifications in its Rust thread and hands them over once a step of STEP_MS has passed
with no new change (or DEBOUNCE_MS after the first): an editor's save, a "save all" or a checkout is one batch. It
looks at what it has collected every STEP_MS, an in-memory check; nothing reads the disk until a change comes.
Folders are watched one by one, not recursively, so that site.yaml can be watched through its folder (a file's own
watch ends when an editor saves by renaming a new file over it) while the rest of the project folder (.git, .venv,
the output) is not: a folder that appears or goes away starts a new watch.
"""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import AsyncIterator

from watchfiles import Change, DefaultFilter
from watchfiles._rust_notify import RustNotify

from .errors import terminal

WATCHED = ("site.yaml", "content", "templates", "static", "seeds")   # never the output folder
STEP_MS = 10            # a batch ends after this long without a new change: a save's events all come within it
DEBOUNCE_MS = 1000      # or after this long, however busy the folder is
POLL_DELAY_MS = 300     # only where the OS cannot notify (watchfiles' own default)


class Sources(DefaultFilter):
    """The watched files of a project, without editors' scratch files (watchfiles' list: *~, .*.swp, .#*, …)."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = str(root)

    def __call__(self, change: Change, path: str) -> bool:
        relative = self.relative(path)
        return relative is not None and relative.split("/")[0] in WATCHED and super().__call__(change, relative)

    def relative(self, path: str) -> str | None:
        relative = os.path.relpath(path, self.root)
        return None if relative.startswith("..") else relative.replace(os.sep, "/")


def folders(root: Path) -> list[str]:
    """The project folder and every folder of its watched ones."""
    found = [str(root)]
    for name in WATCHED:
        for folder, subfolders, _ in os.walk(root / name):
            subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
            found.append(folder)
    return found


def passing(batch: set[tuple[Change, str]]) -> set[str]:
    """Files made and removed within the batch (a tool's temporary file, such as sed -i's)."""
    added = {path for change, path in batch if change == Change.added}
    return {path for change, path in batch if change == Change.deleted and path in added and not os.path.lexists(path)}


class Watch:
    """The OS's notifications of changes to a project's sources, collected from the moment it is made (so make it
    before the first build: a save during it is not lost)."""

    def __init__(self, root: Path):
        self.root, self.sources, self.polling = Path(root), Sources(root), False
        self.listed, self.notify = self.start()

    def start(self) -> tuple[list[str], RustNotify]:
        while True:
            listed = folders(self.root)
            try:    # watchfiles' Rust side, as its documentation shows it used directly
                return listed, RustNotify(listed, False, self.polling, POLL_DELAY_MS, False, False)
            except FileNotFoundError:   # a folder went away between listing and watching: list them again
                continue
            except OSError as exc:      # e.g. the system's limit on watches: the preview still works, polling
                if self.polling:
                    raise
                warn(f"cannot watch the project's files ({exc}); checking them every {POLL_DELAY_MS} ms instead")
                self.polling = True

    async def batches(self, stop: asyncio.Event) -> AsyncIterator[list[str]]:
        """Each batch of changed sources, project-relative and sorted, until `stop` is set."""
        try:
            while True:
                raw = await asyncio.to_thread(self.notify.watch, DEBOUNCE_MS, STEP_MS, 0, stop)  # 0: no timeout
                if raw == "stop":
                    return
                batch = {(Change(change), path) for change, path in raw} if isinstance(raw, set) else set()
                gone = passing(batch)
                changed = {self.sources.relative(path) for change, path in batch
                           if path not in gone and self.sources(change, path)}
                # a folder made, removed or replaced (a checkout): watch the folders as they are now, before building
                touched = {path for _, path in batch}
                if folders(self.root) != self.listed or touched & set(self.listed[1:]):
                    before = set(self.listed) - touched     # what was written in the others was seen
                    self.notify.close()
                    self.listed, self.notify = self.start()
                    changed.update(files_in([folder for folder in self.listed if folder not in before], self.sources))
                if changed:
                    yield sorted(changed)
        finally:
            self.notify.close()


def files_in(listed: list[str], sources: Sources) -> list[str]:
    """The sources directly in these folders (one removed meanwhile has none)."""
    found = []
    for folder in listed:
        try:
            found += [sources.relative(entry.path) for entry in os.scandir(folder)
                      if entry.is_file() and sources(Change.added, entry.path)]
        except OSError:
            continue
    return sorted(found)


def warn(line: str) -> None:
    print(terminal(f"warning: {line}"), file=sys.stderr, flush=True)
