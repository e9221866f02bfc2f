"""Stage 5, write: static assets with fingerprinted names, the sitemap, and an atomic swap of the whole output
folder, so a failed build never leaves a half-written site and a reader never finds none."""
from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import hashlib
import os
import posixpath
import re
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Callable

from .model import Error, Where
from .urls import page_url, path_of

MARKER = ".sitegen-output"          # written into every output folder; we only ever replace folders holding it
# cached forever by hosts (and by the preview's browser), so their names change with their content
FINGERPRINTED = {".css", ".js", ".woff2", ".woff", ".ttf", ".otf"}
CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')\s]+)\1\s*\)""")
AT_FDCWD, RENAME_EXCHANGE = -100, 2  # from <fcntl.h> and <linux/fs.h>


def collect_assets(root: Path) -> tuple[dict[str, str], dict[str, bytes]]:
    """Static files: (logical name -> output path, output path -> bytes), CSS, JS and fonts fingerprinted. A
    stylesheet names the fingerprinted files it points to (url(...)) by their new names, so its own name changes
    with theirs: stylesheets come last."""
    names: dict[str, str] = {}
    files: dict[str, bytes] = {}
    static = root / "static"
    found = sorted(p for p in static.rglob("*") if p.is_file()) if static.is_dir() else []
    for path in sorted(found, key=lambda p: p.suffix == ".css"):
        name = path.relative_to(static).as_posix()
        data = path.read_bytes()
        if path.suffix == ".css":
            data = css_pointing_at(data, name, names)
        out = name
        if path.suffix in FINGERPRINTED:
            digest = hashlib.sha256(data).hexdigest()[:10]
            out = f"{name[: -len(path.suffix)]}.{digest}{path.suffix}"
        names[name] = f"static/{out}"
        files[f"static/{out}"] = data
    return names, files


def css_pointing_at(css: bytes, name: str, names: dict[str, str]) -> bytes:
    """A stylesheet (static/NAME) whose relative url(...)s to files renamed in `names` use their new names."""
    try:
        text = css.decode("utf-8")
    except UnicodeDecodeError:     # not ours to rewrite: published as it is
        return css
    folder = posixpath.dirname(name)

    def renamed(match: re.Match) -> str:
        quote, (target, tail) = match.group(1), re.fullmatch(r"([^?#]*)(.*)", match.group(2)).groups()
        if not target or re.match(r"[a-zA-Z][\w+.-]*:|/", target):   # data:, https:, //host, /path
            return match.group(0)
        logical = posixpath.normpath(posixpath.join(folder, target))
        out = names.get(logical)
        if out is None or out == f"static/{logical}":     # not a file of static/, or not renamed
            return match.group(0)
        return f"url({quote}{posixpath.relpath(out.removeprefix('static/'), folder or '.')}{tail}{quote})"
    return CSS_URL.sub(renamed, text).encode("utf-8")


def check_static(root: Path) -> list[Error]:
    """static/ publishes only what is in the project: a symlink leading outside it (to /etc/passwd, say; static/
    itself included), a broken or looping one, or anything that is not a file or folder (a FIFO, a device) stops
    the build."""
    root, static = root.resolve(), root.resolve() / "static"
    if static.is_symlink():
        problem = _static_problem(static, root)
        if problem:
            return [problem]
    return [problem for folder, dirs, names in os.walk(static) for name in dirs + names
            if (problem := _static_problem(Path(folder, name), root))]


def _static_problem(path: Path, root: Path) -> Error | None:
    rel = path.relative_to(root).as_posix()
    link = os.readlink(path) if path.is_symlink() else path.name
    try:
        target = path.resolve(strict=True)
        kind = target.stat().st_mode
    except (OSError, RuntimeError):  # RuntimeError: pathlib's word for a symlink loop
        return Error(rel, 0, f"symlink to '{link}' leads to no file")
    if not target.is_relative_to(root):
        return Error(rel, 0, f"symlink to '{link}' leads outside the project; copy the file into static/ instead")
    if not (stat.S_ISREG(kind) or stat.S_ISDIR(kind)):
        return Error(rel, 0, "is not a regular file; only files are published")
    return None


def sitemap(base_url: str, urls: list[str]) -> bytes:
    base = base_url.rstrip("/") + "/"
    rows = "".join(f"  <url><loc>{escape(base + u, quote=False)}</loc></url>\n" for u in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n").encode()


def robots(base_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {base_url.rstrip('/')}/sitemap.xml\n".encode()


def check_output_dir(root: Path, out: Path, setting: Where | None) -> list[Error]:
    """Refuse an output folder that would overwrite the project or something that is not a built site.
    `setting` is where site.yaml sets it; None when it was given explicitly with --out."""
    root, out = root.resolve(), out.resolve()
    explicit = setting is None
    where = setting or Where("--out", 0)
    if out == root or root.is_relative_to(out):
        return [where.error(f"output folder '{out}' is the project folder or holds it; choose e.g. _site")]
    for name in ("content", "seeds", "templates", "static", ".git"):
        if out.is_relative_to(root / name):
            return [where.error(f"output folder '{out}' is inside {name}/; choose e.g. _site")]
    if not out.is_relative_to(root) and not explicit:
        return [where.error(f"output folder '{out}' is outside the project; pass it with --out to confirm")]
    try:
        taken = out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists()))
        blocker = next(p for p in out.parents if p.exists())
    except OSError as exc:  # a name too long, a folder we may not list
        return [where.error(f"output folder '{out}' cannot be used: {exc.strerror}")]
    if taken:
        return [where.error(f"output folder '{out}' exists and was not written by this generator; "
                                "empty it or choose another")]
    if not blocker.is_dir():
        return [where.error(f"output folder '{out}' cannot be created: '{blocker}' is a file")]
    return []


def site_files(site, planned: list, pages: dict[str, bytes | None], assets: dict[str, bytes], data: bytes,
               staged: Staged | None = None) -> dict | Staged:
    """Every file of the site: the pages, the static files, data/facts.json, the sitemap and robots.txt; into
    `staged` if given (a page that is None there was written as it was rendered)."""
    files = staged if staged is not None else {}
    files.update(pages)
    files.update(assets)
    files[path_of("data")] = data
    files["sitemap.xml"] = sitemap(site.config.base_url, [page_url(p.path) for p in planned if p.in_sitemap])
    files["robots.txt"] = robots(site.config.base_url)
    return files


@dataclass
class Written:
    """What a write did: files written, files kept from the previous build (linked, not written), and a warning
    when the previous site could not be removed."""
    written: int = 0
    kept: int = 0
    warnings: list[str] = field(default_factory=list)
    spare: Spare | None = None


class CannotCreate(Exception):
    """The folder to write into could not be made (the OSError is its argument)."""


@dataclass
class Spare:
    """The preview's second folder: the site as the write before last left it, kept beside `out` to be brought up
    to date and swapped in next time, instead of a whole folder made and another removed after every edit."""
    path: Path
    files: dict[str, bytes]


class Staged(MutableMapping):
    """A one-off build's files, written as they are made into a new folder beside `out` (`.NAME.new-*`) and read
    back from there when asked for, so that a large site is never in memory whole (at 10,000 facts its pages are
    120 MB). Nothing is in place of `out` until `write` swaps the folder in, once every stage has succeeded; leaving
    the `with` block without that removes it. The write lock is held meanwhile, so no other build removes the
    folder as a killed build's leftover. A file that cannot be written is held in memory, and `write` says why."""

    def __init__(self, out: Path, lock: int, folder: Path, warnings: list[str], made: list[Path]):
        self.out, self.lock, self.folder, self.warnings = out, lock, folder, warnings
        self.parents = made     # the folders above `out` made for it, deepest first: removed if nothing is placed
        self.paths: dict[str, None] = {}        # in the order they came, as a dict's keys would be
        self.held: dict[str, bytes] = {}        # what could not be written
        self.failed: OSError | None = None
        self.made = {folder}
        self.placed = False
        self.stops: list[Callable[[], None]] = []  # what ends the other processes writing into the folder

    @classmethod
    def beside(cls, out: Path) -> "Staged | None":
        """The folder to build into, or None if it cannot be made (then the files stay in memory and `write`
        reports why, as it would have)."""
        out = out.resolve()
        made = [folder for folder in (out.parent, *out.parent.parents) if not folder.exists()]
        try:
            lock = lock_beside(out)
        except OSError:
            return None
        try:
            warnings = remove_leftovers(out)
            folder = new_folder(out)
        except OSError:
            os.close(lock)
            return None
        return cls(out, lock, folder, warnings, made)

    def __enter__(self) -> "Staged":
        return self

    def __exit__(self, *exc) -> None:
        if not self.placed:
            for stop in self.stops:     # first: nothing may write into the folder while it is removed
                stop()
            shutil.rmtree(self.folder, ignore_errors=True)
            for folder in self.parents:
                try:
                    folder.rmdir()
                except OSError:     # something else is in it now
                    break
        os.close(self.lock)

    def put(self, rel: str, data: bytes) -> bool:
        """Write one file into the folder, without noting it (a forked renderer's pages are noted by the parent,
        from what it hands back); False if it could not be."""
        path = self.folder / rel
        try:
            if path.parent not in self.made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.made.update(path.parents)
            path.write_bytes(data)
        except OSError as exc:
            self.failed = self.failed or exc
            return False
        return True

    def lend(self, name: str, stop: Callable[[], None]) -> Path:
        """A folder in this one (not yet made) for another process to write files into, which `adopt` then makes
        part of the site; `stop` ends that process, and is called before the folder is removed."""
        self.stops.append(stop)
        return self.folder / name

    def adopt(self, lent: Path, rel: str, paths: list[str]) -> None:
        """The files another process wrote into `lent` become the site's folder `rel` (one rename)."""
        target = self.folder / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            lent.rename(target)
        except OSError as exc:
            self.failed = self.failed or exc
            return
        self.paths.update(dict.fromkeys(rel + path for path in paths))

    def __setitem__(self, rel: str, data: bytes | None) -> None:
        """None: `put` wrote it already."""
        self.held.pop(rel, None)
        if data is not None and not self.put(rel, data):
            self.held[rel] = data
        self.paths[rel] = None

    def __getitem__(self, rel: str) -> bytes:
        if rel not in self.paths:
            raise KeyError(rel)
        return self.held[rel] if rel in self.held else (self.folder / rel).read_bytes()

    def __delitem__(self, rel: str) -> None:
        del self.paths[rel]
        self.held.pop(rel, None)
        (self.folder / rel).unlink(missing_ok=True)

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def place(self) -> tuple[Written, list[Error]]:
        """Put the folder in place of `out` in one step, as `write` does."""
        done = Written(written=len(self.paths), warnings=self.warnings)
        if self.failed is not None:
            return Written(), [Error(str(self.out), 0, f"cannot write the site: {self.failed.strerror or self.failed}")]
        try:
            seal(self.folder)
            old = swap_into_place(self.folder, self.out)
        except OSError as exc:
            return Written(), [Error(str(self.out), 0, f"cannot write the site: {exc.strerror or exc}")]
        self.placed = True
        if old is not None:
            done.warnings += remove_tree(old)
        return done, []


def write(files: dict[str, bytes], out: Path, previous: dict[str, bytes] | None = None,
          spare: Spare | None = None) -> tuple[Written, list[Error]]:
    """Write the site into a folder beside `out`, then put it in place of `out` in one step: a reader of the site
    never finds it half-written or missing. With `previous`, what the last write put in `out` (the preview's
    rebuilds), unchanged files are hard-linked from there, and the replaced site is kept as the next `spare`.
    Files already written beside `out` as they were made (`Staged`) are put in place."""
    if isinstance(files, Staged):
        return files.place()
    out = out.resolve()
    done = Written()
    try:
        lock = lock_beside(out)
    except OSError as exc:
        return done, [Error(str(out), 0, f"cannot create the output folder: {exc.strerror}")]
    try:
        done.warnings += remove_leftovers(out, keep=spare.path if spare else None)
        try:
            folder = prepare(files, out, previous, spare, done)
        except CannotCreate as exc:
            return done, [Error(str(out), 0, f"cannot create the output folder: {exc.args[0].strerror}")]
        try:
            old = swap_into_place(folder, out)
        except BaseException as exc:
            shutil.rmtree(folder, ignore_errors=True)  # whatever stopped us (Ctrl-C too), leave no half-written folder
            if isinstance(exc, OSError):
                return done, [Error(str(out), 0, f"cannot write the site: {exc.strerror or exc}")]
            raise
        if old is not None and previous is not None:
            done.spare = Spare(old, previous)
        elif old is not None:
            done.warnings += remove_tree(old)
    except OSError as exc:
        return done, [Error(str(out), 0, f"cannot write the site: {exc.strerror or exc}")]
    finally:
        os.close(lock)
    return done, []


def prepare(files: dict[str, bytes], out: Path, previous: dict[str, bytes] | None, spare: Spare | None,
            done: Written) -> Path:
    """A folder holding exactly `files`: the spare brought up to date, or a fresh one; a half-made folder is
    removed before the error goes up."""
    if spare is not None and (spare.path / MARKER).is_file():
        try:
            update(spare.path, spare.files, files, done)
            return spare.path
        except BaseException:
            shutil.rmtree(spare.path, ignore_errors=True)
            raise
    try:
        fresh = new_folder(out)
    except OSError as exc:
        raise CannotCreate(exc) from exc
    try:
        fill(fresh, files, out if previous is not None and (out / MARKER).is_file() else None, previous, done)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return fresh


def update(folder: Path, have: dict[str, bytes], want: dict[str, bytes], done: Written) -> None:
    """Bring `folder`, holding `have`, to `want`. Each changed file is a new file renamed over the old one: the
    old one may be a hard link into the live site, which must not change."""
    for rel, data in sorted(want.items()):
        old = have.get(rel)
        if old is data or old == data:
            done.kept += 1
            continue
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.new")
        scratch.write_bytes(data)
        os.replace(scratch, path)
        done.written += 1
    for rel in sorted(have.keys() - want.keys(), reverse=True):
        path = folder / rel
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == folder or any(parent.iterdir()):
                break
            parent.rmdir()


def fill(fresh: Path, files: dict[str, bytes], current: Path | None, previous: dict[str, bytes] | None,
         done: Written) -> None:
    """Put every file into `fresh`: linked from `current` when `previous` says it holds the same bytes there.
    Two threads share the folders: making a file is a system call the process mostly spends in the file system
    (0.3-0.6 ms each on a busy ext4 disk; the real site has 217 files with its search index), which runs beside
    Python's work on the machine's other core."""
    halves: tuple[list, list] = ([], [])
    for rels in folders(files):     # a folder's files in one thread, the larger folders first, to the lighter half
        min(halves, key=len).extend(rels)
    counts = (Written(), Written())
    failed: list[BaseException] = []

    def other() -> None:
        try:
            _fill(fresh, halves[1], files, current, previous, counts[1])
        except BaseException as exc:    # raised again by the main thread, which then removes `fresh`
            failed.append(exc)

    helper = threading.Thread(target=other)
    helper.start()
    try:
        _fill(fresh, halves[0], files, current, previous, counts[0])
    finally:
        helper.join()
    if failed:
        raise failed[0]
    done.written += counts[0].written + counts[1].written
    done.kept += counts[0].kept + counts[1].kept
    seal(fresh)


def lock_beside(out: Path) -> int:
    """The lock on `out`'s parent folder (made if need be), held: one build at a time writes beside `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(out.parent, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
    except OSError:
        os.close(lock)
        raise
    return lock


def new_folder(out: Path) -> Path:
    """An empty folder beside `out` to build the next site in (`.NAME.new-*`: remove_leftovers knows the name)."""
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))


def seal(folder: Path) -> None:
    """Mark a complete site as ours to replace later (MARKER), readable by the web server."""
    (folder / MARKER).write_bytes(b"")
    os.chmod(folder, 0o755)


def folders(files: dict[str, bytes]) -> list[list[str]]:
    """The files' paths by folder, the folders with most files first (then by name: the same order every time)."""
    by_folder: dict[str, list[str]] = {}
    for rel in sorted(files):
        by_folder.setdefault(posixpath.dirname(rel), []).append(rel)
    return sorted(by_folder.values(), key=lambda rels: (-len(rels), rels[0]))


def _fill(fresh: Path, rels: list[str], files: dict[str, bytes], current: Path | None,
          previous: dict[str, bytes] | None, done: Written) -> None:
    for rel in rels:
        data, path = files[rel], fresh / rel
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)  # safe when the other thread makes the same parent
        old = previous.get(rel) if current is not None else None
        if old is not None and (old is data or old == data):
            try:
                os.link(current / rel, path)
                done.kept += 1
                continue
            except OSError:
                pass  # a file someone removed by hand, another file system: write it
        path.write_bytes(data)
        done.written += 1


def swap_into_place(fresh: Path, out: Path) -> Path | None:
    """`fresh` becomes `out`; returns where the previous site now is (to remove), or None if there was none.
    On Linux the two folders trade places in one step (renameat2 with RENAME_EXCHANGE); elsewhere, or on a file
    system without it, two renames leave a moment without `out`."""
    if not out.exists():
        fresh.rename(out)
        return None
    if exchange(fresh, out):
        return fresh
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        fresh.rename(out)
    except OSError:
        old.rename(out)  # put the previous site back before reporting
        raise
    return old


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot."""
    rename = getattr(_libc(), "renameat2", None) if sys.platform.startswith("linux") else None
    if rename is None:
        return False
    if rename(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@functools.cache
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def remove_leftovers(out: Path, keep: Path | None = None) -> list[str]:
    """Folders a killed build left beside `out` (a half-written new site, a half-removed old one); not `keep`."""
    warnings = []
    for path in sorted(out.parent.glob(f".{out.name}.new-*")) + sorted(out.parent.glob(f".{out.name}.old-*")):
        if path.is_dir() and not path.is_symlink() and path != keep:
            warnings += remove_tree(path)
    return warnings


def remove_tree(path: Path) -> list[str]:
    """Remove a previous site; a warning naming it if it cannot be (the next build tries again)."""
    problems: list[str] = []
    shutil.rmtree(path, onerror=lambda _fn, _path, info: problems.append(getattr(info[1], "strerror", None)
                                                                          or str(info[1])))
    if problems and path.exists():
        return [f"could not remove the previous site {path}: {problems[0]}; remove it by hand"]
    return []
