"""Read an editor's text file safely: UTF-8 without BOM, bounded size, and YAML that keeps line numbers.

YAML is parsed with a SafeLoader that refuses aliases (no "billion laughs"), duplicate keys and any
non-standard tag, keeps dates as strings, and records the line of every mapping, key and list item.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from .model import Error

MAX_BYTES = 2_000_000   # far above any real content file; stops a runaway file before YAML sees it


class Map(dict):
    """A YAML mapping that remembers its own line and the line of each key."""
    line = 0
    key_lines: dict = {}    # replaced per instance by the loader; never mutated in place

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):
    """A YAML list that remembers its own line and the line of each item."""
    line = 0
    item_lines: list = []   # replaced per instance by the loader; never mutated in place


class _Loader(yaml.SafeLoader):
    pass


# Keep "2025-02-27" a string: dates are validated as text, never turned into datetime objects.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _compose_node(self, parent, index):
    event = self.peek_event()
    if isinstance(event, yaml.AliasEvent):
        raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in content files",
                                          event.start_mark)
    if getattr(event, "anchor", None):  # the anchor is on the event: composed nodes do not keep it
        raise yaml.composer.ComposerError(None, None, "anchors (&name) are not allowed in content files",
                                          event.start_mark)
    return yaml.composer.Composer.compose_node(self, parent, index)


_Loader.compose_node = _compose_node


def _construct_map(loader, node):
    loader.flatten_mapping(node)
    result = Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(None, None, "a key must be plain text", key_node.start_mark)
        if key in result.key_lines:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first on line {result.key_lines[key]})", key_node.start_mark)
        result.key_lines[key] = key_node.start_mark.line + 1
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_seq(loader, node):
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _refuse_tag(loader, suffix, node):
    raise yaml.constructor.ConstructorError(None, None, f"the tag '{node.tag}' is not allowed", node.start_mark)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)
_Loader.add_multi_constructor("", _refuse_tag)
_Loader.add_constructor(None, lambda loader, node: _refuse_tag(loader, "", node))


class _Unusual(Exception):
    """Something the event reader leaves to the reference loader (which accepts it or says what is wrong)."""


_NO_KEY = object()
_PLAIN_TYPES = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _from_events(text: str):
    """The same Map/Seq/scalars _Loader gives, built straight from libyaml's parse events: about five times
    faster, as it skips PyYAML's node tree and runs tag resolution only for scalars that could be other than
    text. Aliases, anchors, tags, duplicate or complex keys and merge keys raise _Unusual."""
    stack: list[list] = []      # [container, the key waiting for its value] per open mapping or list
    result = None
    documents = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            value = _scalar(event)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if event.tag is not None and not event.implicit:
                raise _Unusual
            value = Map() if kind is yaml.MappingStartEvent else Seq()
            value.line = event.start_mark.line + 1
            if kind is yaml.MappingStartEvent:
                value.key_lines = {}
            else:
                value.item_lines = []
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
            continue
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unusual
            continue
        elif kind is yaml.AliasEvent:
            raise _Unusual
        else:
            continue
        if getattr(event, "anchor", None):
            raise _Unusual
        if not stack:
            result = value
        else:
            top = stack[-1]
            container = top[0]
            if container.__class__ is Seq:
                container.append(value)
                container.item_lines.append(event.start_mark.line + 1)
            elif top[1] is _NO_KEY:
                if value.__class__ in (Map, Seq) or value in container.key_lines or value == "<<":
                    raise _Unusual
                container.key_lines[value] = event.start_mark.line + 1
                top[1] = value
            else:
                container[top[1]] = value
                top[1] = _NO_KEY
        if value.__class__ is Map or value.__class__ is Seq:
            stack.append([value, _NO_KEY])
    return result


def _scalar(event: yaml.ScalarEvent):
    """A scalar as _Loader constructs it: text, unless plain and shaped like null, a boolean or a number."""
    value = event.value
    if event.tag is not None and event.tag != "!":
        raise _Unusual
    if not event.implicit[0]:
        return value
    for tag, pattern in _Loader.yaml_implicit_resolvers.get(value[:1], ()):
        if pattern.match(value):
            if tag not in _PLAIN_TYPES:
                raise _Unusual
            node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark)
            return _Loader.yaml_constructors[tag](_Loader(""), node)
    return value


# Nested flow collections, or a line indented 200 deep: libyaml recurses in C without a limit (a crash, not an
# error), so such text goes to the pure-Python loader, which stops at Python's recursion limit.
_DEEP = re.compile(r"[\[{][^\]}]*[\[{]|^[ \t?:-]{200,}", re.MULTILINE)


def _load(text: str):
    """Plain content goes through libyaml; anything unusual (an anchor, a control character, deep nesting, a
    document libyaml rejects) through the pure-Python loader, whose checks and messages are the reference."""
    if (hasattr(yaml, "CSafeLoader") and "&" not in text and not yaml.reader.Reader.NON_PRINTABLE.search(text)
            and not _DEEP.search(text)):
        try:
            return _from_events(text)
        except (yaml.YAMLError, _Unusual):
            pass
    return yaml.load(text, Loader=_Loader)


def read_text(path: Path, rel: str) -> tuple[str | None, list[Error]]:
    """The file's text with line endings made "\n", or the error that makes it unreadable."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, [Error(rel, 0, f"file is larger than {MAX_BYTES // 1_000_000} MB; split it")]
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Error(rel, 0, "file not found")]
    except IsADirectoryError:
        return None, [Error(rel, 0, "is a folder, expected a file")]
    except OSError as exc:
        return None, [Error(rel, 0, f"cannot read file: {exc.strerror}")]
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [Error(rel, 1, "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, [Error(rel, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def parse_yaml(text: str, rel: str) -> tuple[object, list[Error]]:
    """Parse YAML text into Map/Seq/scalars, or return the one error that stops it."""
    if not text.strip():
        return None, [Error(rel, 1, "file is empty")]
    # YAML 1.1 also breaks lines at NEL, LS and PS, which editors show inside a line (or not at all): after one,
    # every line number YAML reports would be off.
    separator = re.search("[\x85\u2028\u2029]", text)
    if separator:
        line = text.count("\n", 0, separator.start()) + 1
        return None, [Error(rel, line, f"invisible line separator U+{ord(separator.group()):04X}; "
                                       "replace it with a line break or a space")]
    try:
        return _load(text), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or "invalid YAML"
        lines = text.split("\n")
        if 0 < line <= len(lines) and "\t" in lines[line - 1]:
            problem = "tab character: indent YAML with spaces"
        elif exc.context:
            # The parser notices an unclosed quote or bracket only lines later: name where it was opened.
            opened = exc.context_mark.line + 1 if exc.context_mark else line
            problem += f" ({exc.context}" + (f" on line {opened})" if opened != line else ")")
        return None, [Error(rel, line, f"YAML: {problem}")]
    except yaml.reader.ReaderError as exc:
        # A control character. PyYAML's own text spans two lines and gives an offset, not a line.
        line = text.count("\n", 0, exc.position) + 1
        return None, [Error(rel, line, f"YAML: special character U+{exc.character:04X} is not allowed")]
    except yaml.YAMLError as exc:
        return None, [Error(rel, 0, f"YAML: {exc}")]
    except RecursionError:
        return None, [Error(rel, 0, "YAML: nested too deeply")]


def load_yaml(path: Path, rel: str) -> tuple[object, list[Error]]:
    text, errors = read_text(path, rel)
    if errors:
        return None, errors
    return parse_yaml(text, rel)
