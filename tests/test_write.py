"""Stage 5: assets fingerprinted, sitemap and robots, an atomic swap, and refusal of dangerous output folders."""
import os
import re
import subprocess
import threading
from pathlib import Path

from sitegen import build
from sitegen.model import Error, Where
from sitegen.write import MARKER, check_output_dir

from helpers import line_of, replace_in, tree


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("._site"))


def test_two_builds_of_the_same_input_are_byte_identical(project, tmp_path):
    root = project()
    a = build(root, tmp_path / "a")
    b = build(root, tmp_path / "b")
    assert a.ok and b.ok
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_css_is_fingerprinted_and_linked(project):
    report = build(project())
    files = tree(report.out_dir)
    css = [p for p in files if p.startswith("static/style.")]
    assert len(css) == 1 and re.fullmatch(r"static/style\.[0-9a-f]{10}\.css", css[0])
    assert f'href="{css[0]}"' in files["index.html"].decode()


def test_fonts_are_fingerprinted_and_the_stylesheet_names_them_so(project):
    """A font's name changes with its content, and so does the stylesheet pointing at it (its url()s name the new
    file), so hosts and browsers may keep both for good; other urls, and files not renamed, are left as written."""
    root = project()
    (root / "static/fonts").mkdir(exist_ok=True)
    (root / "static/fonts/extra.woff2").write_bytes(b"wOF2 first")
    (root / "static/fonts/x.svg").write_text("<svg/>")
    with open(root / "static/style.css", "a", encoding="utf-8") as css:
        css.write('@font-face { font-family: "E"; src: url(fonts/extra.woff2?v=1#e) format("woff2"), '
                  "url('./fonts/extra.woff2'), url(https://example.org/fonts/extra.woff2), url(fonts/x.svg); }\n")
    first = tree(build(root).out_dir)
    fonts = [p for p in first if re.fullmatch(r"static/fonts/extra\.[0-9a-f]{10}\.woff2", p)]
    [stylesheet] = [p for p in first if p.startswith("static/style.")]
    name = fonts[0].removeprefix("static/")
    text = first[stylesheet].decode()
    for written in (f"url({name}?v=1#e)", f"url('{name}')", "url(https://example.org/fonts/extra.woff2)",
                    "url(fonts/x.svg)"):
        assert written in text, written
    assert "static/fonts/x.svg" in first

    (root / "static/fonts/extra.woff2").write_bytes(b"wOF2 second")
    second = tree(build(root).out_dir)
    assert fonts[0] not in second and stylesheet not in second
    [new_stylesheet] = [p for p in second if p.startswith("static/style.")]
    assert f'href="{new_stylesheet}"' in second["index.html"].decode()


def test_sitemap_lists_absolute_urls_and_robots_points_at_it(project):
    report = build(project())
    sitemap = (report.out_dir / "sitemap.xml").read_text()
    assert "<loc>https://example.org/demo/</loc>" in sitemap
    assert "<loc>https://example.org/demo/topics/flights/</loc>" in sitemap
    assert "404" not in sitemap
    assert (report.out_dir / "robots.txt").read_text().endswith("Sitemap: https://example.org/demo/sitemap.xml\n")


def test_base_url_override(project):
    report = build(project(), base_url="https://news.example/x/")
    assert "<loc>https://news.example/x/sources/</loc>" in (report.out_dir / "sitemap.xml").read_text()
    assert 'href="/x/static/' in (report.out_dir / "404.html").read_text()


def test_a_failed_build_leaves_the_previous_site_exactly_as_it_was(project):
    root = project()
    first = build(root)
    before = tree(first.out_dir)
    replace_in(root / "content/topics/flights.yaml", "source: two", "source: nowhere")
    second = build(root)
    assert not second.ok
    assert tree(first.out_dir) == before
    assert not [p for p in first.out_dir.parent.iterdir() if p.name.startswith("._site")]


def test_a_build_that_fails_once_its_pages_are_written_leaves_the_previous_site_and_no_folder(project):
    """A one-off build writes each page into a new folder as it renders; a later stage failing (here the link
    check) removes that folder and leaves the site as it was."""
    root = project()
    first = build(root)
    before = tree(first.out_dir)
    about = root / "content/pages/about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\n[رابط](../nowhere/)\n", encoding="utf-8")
    second = build(root)
    assert not second.ok and any("nowhere" in e.message for e in second.errors), second.errors
    assert tree(first.out_dir) == before
    assert leftovers(root) == []
    elsewhere = root.parent / "new" / "deep" / "_site"     # folders made for the output are removed too
    third = build(root, elsewhere)
    assert [e.message for e in third.errors] == [e.message for e in second.errors]
    assert not (root.parent / "new").exists()


def test_a_new_build_replaces_the_old_one_whole(project):
    root = project()
    first = build(root)
    (first.out_dir / "stale.html").write_text("old")
    build(root)
    assert not (first.out_dir / "stale.html").exists() and (first.out_dir / MARKER).exists()


def test_refuses_output_folders_that_would_destroy_the_project(project, tmp_path):
    root = project()
    assert check_output_dir(root, root, None)[0].message.endswith("is the project folder or holds it; choose e.g. _site")
    assert "is inside content/" in check_output_dir(root, root / "content", None)[0].message
    assert "is inside seeds/" in check_output_dir(root, root / "seeds/x", None)[0].message
    assert "outside the project; pass it with --out" in check_output_dir(root, tmp_path / "elsewhere", Where("site.yaml", 3))[0].message
    assert check_output_dir(root, tmp_path / "elsewhere", None) == []
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("precious")
    assert "was not written by this generator" in check_output_dir(root, foreign, None)[0].message


def test_refused_output_dir_is_reported_as_an_error(project):
    root = project()
    replace_in(root / "site.yaml", "digits: arab", "digits: arab\noutput_dir: content")
    report = build(root)
    assert report.errors == [Error("site.yaml", line_of(root / "site.yaml", "output_dir"), f"output folder '{root / 'content'}' is inside content/; "
                                                   "choose e.g. _site")]


def test_the_preview_links_unchanged_files_and_drops_pages_that_are_gone(project, tmp_path):
    from sitegen.reuse import Reuse

    root, reuse = project(), Reuse()
    out = tmp_path / "preview"
    build(root, out, "http://127.0.0.1:8000/", preview=True, stages=reuse)
    assert (out / "about/index.html").is_file()
    untouched = (out / "data/facts.json").stat().st_ino
    (root / "content/pages/about.md").unlink()
    again = build(root, out, "http://127.0.0.1:8000/", preview=True, stages=reuse)
    assert again.ok, again.errors
    assert not (out / "about").exists()                             # the page and its folder are gone
    assert (out / "data/facts.json").stat().st_ino == untouched     # an unchanged file is linked, not rewritten
    assert again.kept and again.written and again.kept + again.written == again.files
    cold = build(root, tmp_path / "cold", "http://127.0.0.1:8000/", preview=True)
    assert cold.ok and tree(out) == tree(tmp_path / "cold")
    # beside them only the preview's spare: the site before, to be brought up to date and swapped in next time
    assert [p.name[:len(".preview.new-")] for p in tmp_path.iterdir() if p.name.startswith(".")] == [".preview.new-"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["cold", "preview",
                                                                                           "project0"]


# --- the swap: never a moment without a site, nothing left behind, and a word when the old site stays ---

def test_a_reader_never_finds_the_site_missing_while_it_is_replaced(project):
    root = project()
    assert build(root).ok
    index, missed, done = root / "_site/index.html", [], threading.Event()

    def read():
        while not done.is_set():
            try:
                index.stat()
            except FileNotFoundError:
                missed.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(10):
            assert build(root).ok
    finally:
        done.set()
        reader.join()
    assert not missed, f"index.html was missing {len(missed)} times"


def test_folders_a_killed_build_left_are_removed_by_the_next(project):
    root = project()
    assert build(root).ok
    for name in ("._site.new-abc123", "._site.old-def456"):   # a half-written site, a half-removed old one
        (root / name / "topics").mkdir(parents=True)
        (root / name / "topics/index.html").write_text("half")
    (root / ".other").mkdir()
    assert build(root).ok
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == [".other"]


def make_removable(path: Path, removable: bool) -> None:
    """Let or stop anyone removing a file: immutable (chattr) for root, its folder read-only for others."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i" if removable else "+i", str(path)], check=True)
    else:
        path.parent.chmod(0o755 if removable else 0o555)


def test_an_old_site_that_cannot_be_removed_is_named_and_removed_later(project, capsys):
    import build as cli

    root = project()
    assert build(root).ok
    make_removable(root / "_site/topics/flights/index.html", False)
    try:
        assert cli.main(["--project", str(root), "build"]) == 0
        err = capsys.readouterr().err
        assert "warning: could not remove the previous site" in err and "remove it by hand" in err
        assert (root / "_site" / MARKER).is_file() and len(leftovers(root)) == 1
    finally:
        for stuck in root.glob("._site.*/topics/flights/index.html"):
            make_removable(stuck, True)
    assert build(root).ok and leftovers(root) == []     # the next build removes it
