"""Stage 5, write: static assets with fingerprinted names, the sitemap, and an atomic swap of the whole output
folder so a failed build never leaves a half-written site."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from html import escape

from .model import Error, Where

MARKER = ".sitegen-output"          # written into every output folder; we only ever replace folders holding it
FINGERPRINTED = {".css", ".js"}     # cached forever by hosts, so their names change with their content


def collect_assets(root: Path) -> tuple[dict[str, str], dict[str, bytes]]:
    """Static files: (logical name -> output path, output path -> bytes), CSS and JS fingerprinted."""
    names: dict[str, str] = {}
    files: dict[str, bytes] = {}
    static = root / "static"
    for path in sorted(p for p in static.rglob("*") if p.is_file()) if static.is_dir() else []:
        name = path.relative_to(static).as_posix()
        data = path.read_bytes()
        out = name
        if path.suffix in FINGERPRINTED:
            digest = hashlib.sha256(data).hexdigest()[:10]
            out = f"{name[: -len(path.suffix)]}.{digest}{path.suffix}"
        names[name] = f"static/{out}"
        files[f"static/{out}"] = data
    return names, files


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


def write(files: dict[str, bytes], out: Path, written: dict[str, bytes] | None = None) -> list[Error]:
    """Write the site. With `written`, what the previous build wrote into `out` (the preview's own folder), only
    what changed is written or removed, each file replaced in one rename. Otherwise every file goes into a
    fresh folder beside `out`, swapped into place in one rename: a published site is never half-written."""
    out = out.resolve()
    if written is not None and (out / MARKER).is_file():
        try:
            update_in_place(files, out, written)
            return []
        except OSError as exc:
            return [Error(str(out), 0, f"cannot write the site: {exc.strerror or exc}")]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        return [Error(str(out), 0, f"cannot create the output folder: {exc.strerror}")]
    try:
        for rel, data in sorted(files.items()):
            path = fresh / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (fresh / MARKER).write_bytes(b"")
        os.chmod(fresh, 0o755)
        swap_into_place(fresh, out)
    except BaseException as exc:
        shutil.rmtree(fresh, ignore_errors=True)  # whatever stopped us (Ctrl-C too), leave no half-written folder
        if isinstance(exc, OSError):
            return [Error(str(out), 0, f"cannot write the site: {exc.strerror or exc}")]
        raise
    return []


def count_written(files: dict[str, bytes], written: dict[str, bytes] | None) -> int:
    """How many files write(files, out, written) writes: all of them, or those that differ from `written`."""
    return len(files) if written is None else sum(1 for rel, data in files.items() if written.get(rel) != data)


def update_in_place(files: dict[str, bytes], out: Path, written: dict[str, bytes]) -> None:
    """Bring `out`, holding `written`, to `files`: changed files replaced, gone ones removed with empty folders."""
    for rel, data in sorted(files.items()):
        if written.get(rel) != data:
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            scratch = path.with_name(f".{path.name}.new")
            scratch.write_bytes(data)
            os.replace(scratch, path)
    for rel in sorted(written.keys() - files.keys(), reverse=True):
        path = out / rel
        path.unlink(missing_ok=True)
        for folder in path.parents:
            if folder == out or any(folder.iterdir()):
                break
            folder.rmdir()


def swap_into_place(fresh: Path, out: Path) -> None:
    if not out.exists():
        fresh.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        fresh.rename(out)
    except OSError:
        old.rename(out)  # put the previous site back before reporting
        raise
    shutil.rmtree(old, ignore_errors=True)
