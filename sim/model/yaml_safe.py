"""YAML with limits: hostile or broken input fails fast with a message, never a blow-up.

Imported only by :mod:`sim.model.io` (the one place the project reads YAML). Every YAML
text the project accepts (scenario files, sweep files, dashboard uploads, URL state) goes
through :func:`parse_yaml_limited`, which

1. refuses files larger than :data:`MAX_YAML_BYTES` before reading them, and decodes bytes
   as UTF-8 (UTF-16/32 only with a byte-order mark), naming the first bad byte;
2. walks the *event stream* of the parser (iterative, so no recursion however deep the
   input) and refuses, before any node tree or Python object is built: nesting deeper
   than :data:`MAX_DEPTH`; more than :data:`MAX_ALIASES` alias uses; documents whose alias
   expansion exceeds :data:`MAX_NODES` values (a "billion laughs" bomb is caught after a
   few hundred events, naming the field where the expansion happens); recursive aliases;
   duplicate keys in a mapping (naming both lines); numbers longer than
   :data:`MAX_NUMBER_CHARS` characters; more than one document;
3. only then builds Python objects with ``CSafeLoader`` (libyaml; the pure-Python
   ``SafeLoader`` where libyaml is missing), which refuses tags such as
   ``!!python/object``.

Every problem raises :class:`sim.errors.ScenarioError` naming the source, the line and
the field (exit code 2 on the command line). Values quoted in messages are truncated
(:func:`short_repr`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import ScalarNode

from sim.errors import ScenarioError, short_repr

try:  # libyaml: ~10x faster parsing; same safe constructor
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

MAX_YAML_BYTES = 1 << 20
"""Largest YAML file or text accepted [bytes] (1 MiB; the shipped base scenario is ~10 kB)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and sequences [levels] (scenarios use at most 5)."""
MAX_NODES = 100_000
"""Most values (scalars, mappings, sequences) a document may hold after aliases are
expanded [values]; bounds the work of everything that reads the data afterwards."""
MAX_ALIASES = 1_000
"""Most alias uses (``*name``) in one document [aliases]."""
MAX_NUMBER_CHARS = 100
"""Longest plain scalar that YAML reads as a number [characters] (float64 has 17
significant digits; a 5,000-digit integer is a mistake or an attack)."""

_KEY_CHARS = 80
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"


@dataclass
class _Frame:
    kind: str  # "map" or "seq"
    path: str  # dotted field path of this collection ("" at the top)
    start: int  # expanded-value count when it opened
    anchor: str | None
    line: int
    is_key: bool = False  # the collection is itself a (complex) mapping key
    index: int = 0  # next sequence index / mapping item count
    want_key: bool = True  # mapping: the next node is a key
    key: str = "?"  # mapping: key of the value being read
    keys: dict[tuple[str, str], int] = field(default_factory=dict)  # key -> line


def _child(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else part


def _error(source: str, where: str, line: int | None, msg: str) -> ScenarioError:
    if len(where) > 60:  # e.g. name[0][0][0]... of a deep list
        where = f"{where[:40]}…{where[-15:]}"
    at = f" (line {line})" if line else ""
    return ScenarioError(
        source, [(f"{where}{at}" if where else (f"line {line}" if line else ""), msg)]
    )


def decode_yaml_bytes(data: bytes, source: str) -> str:
    """Text of a YAML file: UTF-8 (a BOM is dropped), or UTF-16/32 with a byte-order mark."""
    boms = (
        (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
    )  # fmt: skip
    encoding = next((enc for bom, enc in boms if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error(
            source, "", line,
            f"not {encoding.upper().replace('-SIG', '')} text: byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start}; save the file as UTF-8 (a binary or differently encoded "
            "file is not YAML)",
        ) from None  # fmt: skip
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _error(source, "", line, "contains NUL characters: a binary file, not YAML text")
    return text


def read_yaml_file(path: str | Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Read a YAML file's text, refusing non-files, unreadable and oversized files."""
    p = Path(path)
    src = str(p)
    try:
        if not p.is_file():
            raise ScenarioError(
                src, [("", "file not found" if not p.exists() else "not a regular file")]
            )
        size = p.stat().st_size
        if size > max_bytes:
            raise ScenarioError(
                src,
                [("", f"file is {size:,} bytes; YAML inputs are limited to {max_bytes:,} bytes")],
            )
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ScenarioError(src, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(data) > max_bytes:  # grew while we looked, or stat lied (a device)
        raise ScenarioError(src, [("", f"more than {max_bytes:,} bytes of YAML")])
    return decode_yaml_bytes(data, src)


def _mark_line(exc: BaseException) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _scan(text: str, source: str) -> dict[str, int]:
    """Check the limits on the event stream; return the line of every field path."""
    try:
        return _scan_with(Loader, text, source)
    except ScenarioError as exc:
        if Loader is yaml.SafeLoader or not _is_parser_depth_limit(exc):
            raise
    # libyaml >= 0.2.5 (PyYAML 6.0.4 wheels) stops deep *flow* nesting itself while it scans
    # ahead, before our walk sees the 33rd level; the pure-Python scanner yields events one
    # by one, so the walk again refuses at MAX_DEPTH and names the field. Only this rare
    # error path pays for the slower parser.
    return _scan_with(yaml.SafeLoader, text, source)


def _is_parser_depth_limit(exc: ScenarioError) -> bool:
    return any("maximum nesting depth" in message for _, message in exc.problems)


def _scan_with(loader_class: Any, text: str, source: str) -> dict[str, int]:
    loader = loader_class(text)
    lines: dict[str, int] = {}
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}  # anchor -> expanded size of its node
    open_anchors: set[str] = set()
    total = aliases = documents = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _error(
                        source, "", event.start_mark.line + 1,
                        "more than one YAML document ('---'); put one scenario per file",
                    )  # fmt: skip
                continue
            if not isinstance(event, ev.NodeEvent | ev.CollectionEndEvent):
                continue
            line = event.start_mark.line + 1
            if isinstance(event, ev.CollectionEndEvent):
                frame = stack.pop()
                size = total - frame.start
                if frame.anchor is not None:
                    anchors[frame.anchor] = size
                    open_anchors.discard(frame.anchor)
                if not frame.is_key:
                    _advance(stack)
                continue
            # a node: where does it sit?
            parent = stack[-1] if stack else None
            is_key = parent is not None and parent.kind == "map" and parent.want_key
            if parent is None:
                path = ""
            elif parent.kind == "seq":
                path = _child(parent.path, parent.index)
            else:
                path = parent.path if is_key else _child(parent.path, parent.key)
            if not is_key and path:
                lines.setdefault(path, line)
            if isinstance(event, ev.AliasEvent):
                aliases += 1
                name = event.anchor
                if name in open_anchors:
                    raise _error(
                        source,
                        path,
                        line,
                        f"recursive alias *{name} (a value cannot contain itself)",
                    )
                if aliases > MAX_ALIASES:
                    raise _error(
                        source, path, line, f"more than {MAX_ALIASES:,} aliases (*name) in one file"
                    )
                size = anchors.get(name, 1)  # undefined aliases are reported by the composer
                total += size
                if total > MAX_NODES:
                    raise _error(
                        source, path, line,
                        f"alias *{name} expands to {size:,} values; a file may hold at most "
                        f"{MAX_NODES:,} values once aliases are expanded",
                    )  # fmt: skip
                if is_key:
                    parent.key, parent.want_key = "?", False  # type: ignore[union-attr]
                else:
                    _advance(stack)
                continue
            total += 1
            if total > MAX_NODES:
                raise _error(source, path, line, f"more than {MAX_NODES:,} values in one file")
            anchor = event.anchor
            if isinstance(event, ev.ScalarEvent):
                _check_scalar(loader, event, source, path, line)
                if anchor is not None:
                    anchors[anchor] = 1
                if is_key:
                    _record_key(parent, loader, event, source, line)  # type: ignore[arg-type]
                else:
                    _advance(stack)
                continue
            # collection start
            if len(stack) >= MAX_DEPTH:
                raise _error(source, path, line, f"nested more than {MAX_DEPTH} levels deep")
            if anchor is not None:
                open_anchors.add(anchor)
            if is_key:  # a complex key: allowed by YAML, never by our schemas
                parent.key, parent.want_key = "?", False  # type: ignore[union-attr]
            kind = "map" if isinstance(event, ev.MappingStartEvent) else "seq"
            stack.append(_Frame(kind, "?" if is_key else path, total - 1, anchor, line, is_key))
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    finally:
        loader.dispose()
    return lines


def _advance(stack: list[_Frame]) -> None:
    """A value finished inside the innermost collection."""
    if not stack:
        return
    top = stack[-1]
    if top.kind == "seq":
        top.index += 1
    else:
        top.want_key = True


def _check_scalar(loader: Any, event: ev.ScalarEvent, source: str, path: str, line: int) -> None:
    if not event.implicit[0] or len(event.value) <= MAX_NUMBER_CHARS:
        return
    tag = loader.resolve(ScalarNode, event.value, event.implicit)
    if tag in (_INT, _FLOAT):
        raise _error(
            source, path, line,
            f"a number of {len(event.value):,} characters; numbers are limited to "
            f"{MAX_NUMBER_CHARS} characters (write large values as 1.0e+12)",
        )  # fmt: skip


def _record_key(parent: _Frame, loader: Any, event: ev.ScalarEvent, source: str, line: int) -> None:
    value = event.value
    tag = event.tag if event.tag and event.tag != "!" else None
    if tag is None:
        tag = loader.resolve(ScalarNode, value, event.implicit) if event.implicit[0] else _STR
    parent.want_key = False
    parent.key = value if len(value) <= _KEY_CHARS else value[:_KEY_CHARS] + "…"
    if tag == _MERGE:
        return
    ident = (tag, value if tag == _STR else value.strip().lower())
    first = parent.keys.get(ident)
    if first is not None:
        where = parent.path or ""
        raise _error(
            source, _child(where, parent.key), line,
            f"duplicate key {short_repr(value)} (first at line {first}, again at line {line}); "
            "the second would silently replace the first: merge them into one",
        )  # fmt: skip
    parent.keys[ident] = line


def _yaml_error(exc: yaml.YAMLError, source: str) -> ScenarioError:
    line = _mark_line(exc)
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    msg = f"malformed YAML at {where}: {problem}" + (f" ({context})" if context else "")
    return ScenarioError(source, [(f"line {line}" if line else "", msg[:400])])


@dataclass(frozen=True)
class ParsedYaml:
    """Data of a YAML text and the line of each field path (``"compute.initial_gw"``,
    ``"policy.tranches[0].gw"``) for error messages."""

    data: Any
    lines: dict[str, int]

    def line_of(self, field_path: str) -> int | None:
        """Line of ``field_path`` or of its closest enclosing field that has one."""
        path = field_path
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def parse_yaml_document(text: str | bytes, source: str = "<string>") -> ParsedYaml:
    """:func:`parse_yaml_limited`, also returning the line of every field."""
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            raise ScenarioError(source, [("", f"more than {MAX_YAML_BYTES:,} bytes of YAML")])
        text = decode_yaml_bytes(text, source)
    if len(text) > MAX_YAML_BYTES:  # characters: a cheap, slightly looser bound
        raise ScenarioError(source, [("", f"more than {MAX_YAML_BYTES:,} characters of YAML")])
    if "\x00" in text:
        raise _error(source, "", None, "contains NUL characters: a binary file, not YAML text")
    lines = _scan(text, source)
    try:
        data = yaml.load(text, Loader=Loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        raise ScenarioError(
            source, [("", f"cannot convert YAML value: {str(exc)[:200]}")]
        ) from None
    return ParsedYaml(data, lines)


def parse_yaml_limited(text: str | bytes, source: str = "<string>") -> Any:
    """Parse one YAML document within the limits of this module (see its docstring).

    ``text`` may be ``bytes`` (an upload): it is decoded as :func:`decode_yaml_bytes` does.
    Raises :class:`sim.errors.ScenarioError` naming ``source``, the line and the field.
    """
    return parse_yaml_document(text, source).data
