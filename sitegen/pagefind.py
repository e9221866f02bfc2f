"""Running Pagefind: the search records go into its service through a pipe, the bundle comes back in memory,
and its files are made byte-stable, so that two builds of the same records are byte-identical."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .search import Record

WANTED = ("pagefind.js", "pagefind-worker.js", "pagefind-entry.json", "wasm.ar.", "pagefind.", "index/", "fragment/",
          "filter/")            # the JS API and the index; not Pagefind's own UI files, which the site does not use
API = ("pagefind.js", "pagefind-worker.js", "wasm.")     # Pagefind's script and WebAssembly, not an index
# Pagefind's binaries allocate with jemalloc, which reads its settings from this variable. By default it hands freed
# memory back and faults it in again in 4 KB pages: ~94,000 page faults for a part of 1,700 records, a fifth of the
# part's CPU. Huge pages, kept until the process ends, cut that tenfold (bench/PROFILE.md). A binary without
# jemalloc ignores the variable; a user's own setting wins.
ALLOCATOR_SETTING = "_RJEM_MALLOC_CONF"
ALLOCATOR = "thp:always,metadata_thp:always,dirty_decay_ms:-1,muzzy_decay_ms:-1"


def version(files: dict[str, bytes]) -> str:
    """A digest of these files, names and contents: the name of the folder they go into."""
    h = hashlib.sha256()
    for path, data in files.items():
        h.update(path.encode() + b"\0" + data + b"\0")
    return h.hexdigest()[:10]


def pagefind_bundle(recs: list[Record]) -> dict[str, bytes]:
    """The Pagefind files for these records, by path inside the bundle folder, made by Pagefind's service: the
    records go in through one pipe and the index comes back through the other, so no record or index file is
    written to disk and read back (at 10,000 records, 20,000 files fewer). The messages are the ones Pagefind's own
    Python and Node APIs exchange with `pagefind --service`; its Python API reads one answer per 0.1 s, so it is
    not used here."""
    binary = pagefind_binary()
    with tempfile.TemporaryFile() as log:
        service = subprocess.Popen([binary, "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=log, env=os.environ | {ALLOCATOR_SETTING: os.environ.get(
                                       ALLOCATOR_SETTING, ALLOCATOR)})
        sender = threading.Thread(target=_send_records, args=(service.stdin, recs), daemon=True)
        sender.start()  # a thread: Pagefind answers each record while it reads the next, and a full pipe would stall
        try:
            files = _index_files(service, len(recs), sender)
        except (RuntimeError, OSError) as exc:
            log.seek(0)
            said = " ".join(log.read().decode(errors="replace").split()[-30:])
            raise RuntimeError(f"{exc} {said}".strip()) from None
        finally:
            service.kill()
            sender.join()
            for pipe in (service.stdin, service.stdout):
                try:
                    pipe.close()
                except OSError:     # what was left unsent when Pagefind stopped
                    pass
            service.wait()
    return stable({path: data for path, data in files.items() if path.startswith(WANTED)})


def pagefind_binary() -> str:
    """The binary pagefind's Python package would run: $PAGEFIND_BINARY_PATH, else pagefind-bin's. Not through
    pagefind.service.get_executable, whose module imports asyncio: 0.1 s, a third of a small site's build."""
    found = os.environ.get("PAGEFIND_BINARY_PATH")
    if found:
        return found
    try:
        from pagefind_bin import get_executable
        return str(get_executable())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("pagefind_extended") or shutil.which("pagefind")
    if found is None:
        raise FileNotFoundError("no Pagefind binary: pip install -r requirements.txt")
    return found


def _message(number: int, payload: dict) -> bytes:
    """One request to Pagefind's service: base64 of its JSON, ended by a comma. The JSON in UTF-8, not \\u escapes:
    an Arabic letter is then two bytes to encode and for Pagefind to decode, not six."""
    return base64.b64encode(json.dumps({"message_id": number, "payload": payload}, ensure_ascii=False).encode()) + b","


def _send_records(pipe, recs: list[Record]) -> None:
    try:
        pipe.write(_message(0, {"type": "NewIndex", "config": {"force_language": "ar"}}))
        for number, record in enumerate(recs, 1):
            pipe.write(_message(number, {"type": "AddFile", "index_id": 0, "url": "/" + record.url,
                                         "file_path": None, "file_contents": record.html}))
        pipe.flush()
    except OSError:     # Pagefind stopped: the reader says so
        pass


def _index_files(service: subprocess.Popen, count: int, sender: threading.Thread) -> dict[str, bytes]:
    """Every answer read as it comes; once each record is in, the index is asked for (the service handles its
    messages concurrently: asked earlier, it could leave records out)."""
    added = 0
    for answer in _answers(service.stdout):
        payload = answer["payload"]
        if payload["type"] == "Error":
            raise RuntimeError(f"Pagefind: {payload.get('message')}")
        if payload["type"] == "NewIndex" and payload["index_id"] != 0:
            raise RuntimeError(f"Pagefind made index {payload['index_id']}, not 0")
        added += payload["type"] == "IndexedFile"
        if added == count and payload["type"] != "GetFiles":
            sender.join()
            service.stdin.write(_message(count + 1, {"type": "GetFiles", "index_id": 0}))
            service.stdin.flush()
            added += 1      # asked once
        if payload["type"] == "GetFiles":
            return {file["path"]: base64.b64decode(file["content"]) for file in payload["files"]}
    raise RuntimeError(f"Pagefind stopped after {added} of {count} records")


def _answers(stream):
    """Pagefind's answers, decoded, as they arrive (each is base64 of JSON, ended by a comma)."""
    pending: list[bytes] = []
    while chunk := stream.read1(1 << 16):
        *ends, rest = chunk.split(b",")
        for end in ends:
            pending.append(end)
            yield json.loads(base64.b64decode(b"".join(pending)))
            pending = []
        pending.append(rest)


# Pagefind writes a filter's values, and the list of filters, in hash-map order, so its filter files and the metadata
# file naming them differ from run to run (Pagefind issue 638; its other files are stable since 1.3). The build must
# not: values and filters are put in one order and the files renamed after their new contents.
CHUNK_HEAD = b"pagefind_dcd"    # how Pagefind's gzipped CBOR files begin


def stable(bundle: dict[str, bytes]) -> dict[str, bytes]:
    renames = {}
    for path in [p for p in bundle if p.startswith("filter/")]:
        data = gzip.compress(_sorted_filter(gzip.decompress(bundle.pop(path))), mtime=0)
        old = path[len("filter/"):-len(".pf_filter")]
        new = old.split("_")[0] + "_" + hashlib.sha256(data).hexdigest()[:len(old.split("_")[1])]
        renames[old] = new
        bundle[f"filter/{new}.pf_filter"] = data
    entry = json.loads(bundle["pagefind-entry.json"])
    for language in entry["languages"].values():
        old = language["hash"]
        meta = gzip.decompress(bundle.pop(f"pagefind.{old}.pf_meta"))
        for before, after in renames.items():   # same length: the CBOR around them stays valid
            meta = meta.replace(before.encode(), after.encode())
        data = gzip.compress(_sorted_filter_list(meta, set(renames.values())), mtime=0)
        language["hash"] = old.split("_")[0] + "_" + hashlib.sha256(data).hexdigest()[:len(old.split("_")[1])]
        bundle[f"pagefind.{language['hash']}.pf_meta"] = data
    bundle["pagefind-entry.json"] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
    return dict(sorted(bundle.items()))


def _sorted_filter(raw: bytes) -> bytes:
    """A filter file, [name, [[value, [page, ...]], ...]] in CBOR, with its values in byte order."""
    body = raw[len(CHUNK_HEAD):]
    return CHUNK_HEAD + _sorted_array(body, _cbor_end(body, 1))


def _sorted_filter_list(raw: bytes, files: set[str]) -> bytes:
    """The metadata file, an array in CBOR, with its list of filters ([[name, file], ...]: the item whose
    entries name these filter files) in byte order."""
    body = raw[len(CHUNK_HEAD):]
    count, pos = _cbor_head(body, 0)
    for _ in range(count):
        end = _cbor_end(body, pos)
        if body[pos] >> 5 == 4 and files and all(f.encode() in body[pos:end] for f in files):
            return CHUNK_HEAD + _sorted_array(body, pos)
        pos = end
    return raw


def _sorted_array(data: bytes, at: int) -> bytes:
    """data with the items of the CBOR array at `at` in byte order."""
    count, first = _cbor_head(data, at)
    items, pos = [], first
    for _ in range(count):
        end = _cbor_end(data, pos)
        items.append(data[pos:end])
        pos = end
    return data[:first] + b"".join(sorted(items)) + data[pos:]


def _cbor_head(data: bytes, pos: int) -> tuple[int, int]:
    """The argument of the CBOR item at pos (a length, a count or a value) and where its content starts."""
    info = data[pos] & 0x1F
    if info < 24:
        return info, pos + 1
    size = 1 << (info - 24)     # 24..27: the argument follows in 1, 2, 4 or 8 bytes
    return int.from_bytes(data[pos + 1:pos + 1 + size], "big"), pos + 1 + size


def _cbor_end(data: bytes, pos: int) -> int:
    """Where the CBOR item at pos ends (integers, strings, arrays and maps: what Pagefind's files hold)."""
    major = data[pos] >> 5
    arg, pos = _cbor_head(data, pos)
    if major in (2, 3):
        return pos + arg
    for _ in range(arg * (2 if major == 5 else 1) if major in (4, 5) else 0):
        pos = _cbor_end(data, pos)
    return pos
