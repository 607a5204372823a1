"""Load a YAML file into a frozen pydantic model, reporting mistakes with their place.

Every problem becomes ``FILE:LINE:COL: key: message``. We read the parser's events
(libyaml's when PyYAML has it) and build the plain data ourselves, so each path into
the document remembers where it was written; pydantic's error locations are then
mapped back onto those positions. Duplicate keys, which YAML parsers usually let pass
silently (the last one wins), are reported too.

Config files come from people and from copies of copies, so reading one is bounded
(each limit refused with its place, never a traceback):

- at most ``MAX_BYTES`` are read;
- nesting deeper than ``MAX_DEPTH`` is refused as it opens (PyYAML's composer
  recurses once per level: libyaml's crashed the process at 100,000 levels);
- aliases are not copied: an alias shares its anchor's value, and what aliases
  repeat is counted and may not exceed what the file writes out plus
  ``ALIAS_SLACK`` nodes (a "billion laughs" file stops after that many, in
  milliseconds, instead of filling memory);
- the work is linear in the file: one pass over the events, a dict per path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from mimamori.errors import ConfigError, Problem

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class YamlDocument:
    file: str
    data: Any
    positions: dict[PathKey, tuple[int, int]]  # path -> (line, column), 1-based

    def place(self, path: PathKey) -> tuple[int, int]:
        """The position of ``path``, or of the nearest enclosing node that exists."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return (1, 1)

    def problem(self, path: PathKey, message: str, *, warning: bool = False) -> Problem:
        line, column = self.place(path)
        return Problem(self.file, line, column, dotted(path), message, warning)


def dotted(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


# 32,000 gateways take 2.5 MB of YAML and a town's register of people ~300 bytes each:
# 8 MiB is several times the largest town we know of; at the limit (104,000 gateways)
# reading and validating took 8.7 s of CPU and 270 MB here.
MAX_BYTES = 8 * 1024 * 1024
# Our files nest 6 levels at most (people[].usual_area.home.lat).
MAX_DEPTH = 32
# What aliases may repeat beyond the nodes written out: far above any merge of defaults
# into a list of entries, far below what exhausts memory (a billion laughs).
ALIAS_SLACK = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Refused(Exception):
    """A limit was passed: reading stops at once."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Key(Enum):
    MERGE = "<<"  # the value is merged into the mapping
    SKIP = "skip"  # a refused key: its value is read and dropped


@dataclass
class _Collection:
    """A mapping or sequence being read: its path (None inside what is dropped or
    merged: no positions), its value so far, and its size and height in nodes."""

    path: PathKey | None
    value: dict[str, Any] | list[Any]
    anchor: str | None
    at: tuple[int, int]  # where it starts
    size: int = 1
    height: int = 1
    key: str | _Key | None = None  # a mapping's key waiting for its value
    key_at: tuple[int, int] = (1, 1)
    merged: list[tuple[dict[str, Any], tuple[int, int]]] = field(default_factory=list)


class _Builder:
    """Plain data from the parser's events, with positions; see the module's doc."""

    def __init__(self, loader: Any, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # value, size, height
        self.stack: list[_Collection] = []
        self.written = 0  # nodes the file writes out
        self.repeated = 0  # nodes its aliases repeat

    @staticmethod
    def _mark(event: yaml.Event) -> tuple[int, int]:
        mark = event.start_mark
        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)

    def _problem(self, at: tuple[int, int], path: PathKey | None, message: str) -> Problem:
        if path is None:  # inside a merge or a dropped key: name the nearest known place
            path = next((c.path for c in reversed(self.stack) if c.path is not None), ())
        return Problem(self.file, at[0], at[1], dotted(path), message)

    def document(self) -> Any:
        """The one document of the stream (the StreamStart event already read)."""
        loader = self.loader
        if loader.check_event(yaml.StreamEndEvent):
            raise _Refused(Problem(self.file, 1, 1, "(document)", "the file is empty"))
        loader.get_event()  # DocumentStart
        while True:
            event = loader.get_event()
            done, value = self._event(event)
            if done:
                break
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            at = self._mark(loader.peek_event())
            raise _Refused(self._problem(at, None, "only one document per file ('---')"))
        return value

    def _event(self, event: yaml.Event) -> tuple[bool, Any]:
        """Take one event; (True, the document) when it completed the root node."""
        if isinstance(event, yaml.CollectionStartEvent):
            self._open(event)
            return False, None
        if isinstance(event, yaml.CollectionEndEvent):
            done = self.stack.pop()
            value = done.value
            if isinstance(value, dict) and done.merged:
                value = self._merge(done, value)
            return self._place(value, done.size, done.height, done.anchor, done.at)
        if isinstance(event, yaml.ScalarEvent):
            self.written += 1
            return self._place(self._scalar(event), 1, 0, event.anchor, self._mark(event))
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event)
        raise _Refused(self._problem(self._mark(event), None, f"unexpected {event}"))

    def _next_path(self) -> PathKey | None:
        """Where the node starting now goes."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.path is None:
            return None
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        if top.key is None or isinstance(top.key, _Key):
            return None  # a key that is a collection (refused once read), or dropped
        return (*top.path, top.key)

    def _open(self, event: yaml.CollectionStartEvent) -> None:
        at = self._mark(event)
        path = self._next_path()
        if len(self.stack) >= MAX_DEPTH:
            message = f"nested deeper than {MAX_DEPTH} levels"
            raise _Refused(self._problem(at, path, message))
        if event.tag not in _COLLECTION_TAGS:
            raise _Refused(self._problem(at, path, f"the tag {event.tag} is not allowed"))
        self.written += 1
        if path is not None:
            self.positions.setdefault(path, at)
        value: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.stack.append(_Collection(path, value, event.anchor, at))

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:
            return event.value  # most scalars: no constructor needed
        if tag == _MERGE_TAG:
            return _Key.MERGE
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        node.start_mark = event.start_mark  # for the constructor's errors
        value = self.loader.construct_object(node)
        self.loader.constructed_objects.pop(node, None)  # nothing refers to it again
        return value

    def _alias(self, event: yaml.AliasEvent) -> tuple[bool, Any]:
        at = self._mark(event)
        if event.anchor not in self.anchors:
            message = f"the alias *{event.anchor} names no whole anchored node before it"
            raise _Refused(self._problem(at, self._next_path(), message))
        value, size, height = self.anchors[event.anchor]
        self.repeated += size
        if self.repeated > self.written + ALIAS_SLACK:
            message = (
                f"aliases repeat more than {ALIAS_SLACK:,} nodes beyond the "
                f"{self.written:,} written out: refused (an alias bomb?)"
            )
            raise _Refused(self._problem(at, self._next_path(), message))
        if len(self.stack) + height > MAX_DEPTH:
            message = f"the alias *{event.anchor} nests deeper than {MAX_DEPTH} levels"
            raise _Refused(self._problem(at, self._next_path(), message))
        return self._place(value, size, height, None, at)

    def _place(
        self, value: Any, size: int, height: int, anchor: str | None, at: tuple[int, int]
    ) -> tuple[bool, Any]:
        """Put a complete node into its parent; (True, value) when it is the root."""
        if anchor is not None:
            self.anchors[anchor] = (value, size, height)
        if not self.stack:
            self.positions.setdefault((), at)
            return True, "<<" if value is _Key.MERGE else value
        top = self.stack[-1]
        top.size += size
        top.height = max(top.height, height + 1)
        if value is _Key.MERGE and (isinstance(top.value, list) or top.key is not None):
            value = "<<"  # merges are keys; as a value, it is just the text
        if isinstance(top.value, list):
            if top.path is not None:  # a collection has its place already, from its start
                self.positions.setdefault((*top.path, len(top.value)), at)
            top.value.append(value)
        elif top.key is None:
            top.key = self._key(top, value, at)
            top.key_at = at
        else:
            key, top.key = top.key, None
            if key is _Key.MERGE:
                self._to_merge(top, value, at)
            elif isinstance(key, str):
                top.value[key] = value
        return False, None

    def _key(self, top: _Collection, key: Any, at: tuple[int, int]) -> str | _Key:
        if key is _Key.MERGE:
            return key
        if not isinstance(key, str | int | bool | float):
            self.problems.append(self._problem(at, top.path, "keys must be plain words"))
            return _Key.SKIP
        name = str(key)
        child = None if top.path is None else (*top.path, name)
        if name in top.value:
            self.problems.append(self._problem(at, child, "duplicate key"))
            return _Key.SKIP
        if child is not None:
            # The key's own position is the best place to point at for its errors.
            self.positions[child] = at
        return name

    def _to_merge(self, top: _Collection, value: Any, at: tuple[int, int]) -> None:
        """``<<: *defaults`` or ``<<: [*a, *b]``: mappings whose keys this one lacks."""
        maps = value if isinstance(value, list) else [value]
        if not all(isinstance(m, dict) for m in maps):
            message = "a merge ('<<') takes a mapping or a list of mappings"
            self.problems.append(self._problem(at, top.path, message))
            return
        top.merged += [(m, top.key_at) for m in maps]

    def _merge(self, done: _Collection, own: dict[str, Any]) -> dict[str, Any]:
        """YAML's merge: the mapping's own keys win, then earlier merged mappings."""
        merged = dict(own)
        for mapping, at in done.merged:
            for key, value in mapping.items():
                if key not in merged:
                    merged[key] = value
                    if done.path is not None:
                        self.positions.setdefault((*done.path, key), at)
        return merged


def read_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; raise ConfigError (with a position) if it is not usable YAML."""
    file = str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)  # a bound even for /dev/zero or a growing file
        if len(raw) > MAX_BYTES:
            message = f"larger than {MAX_BYTES // (1024 * 1024)} MiB: refused unread"
            raise ConfigError([Problem(file, 1, 1, "(file)", message)])
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(file, 1, 1, "(file)", f"cannot read: {exc}")]) from exc
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse ``text`` (named ``file`` in problems) as ``read_yaml`` parses a file: the
    hub checks a gateway's YAML typed in its editor so (``check.check_gateway_text``)."""
    if len(text.encode()) > MAX_BYTES:
        message = f"larger than {MAX_BYTES // (1024 * 1024)} MiB: refused unread"
        raise ConfigError([Problem(file, 1, 1, "(file)", message)])
    loader = _Loader(text)
    builder = _Builder(loader, file)
    try:
        loader.get_event()  # StreamStart
        data = builder.document()
    except _Refused as exc:
        raise ConfigError([*builder.problems, exc.problem]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ConfigError(
            [Problem(file, line, col, "(syntax)", f"{exc.problem or exc.context}")]
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, 1, 1, "(syntax)", str(exc))]) from exc
    finally:
        loader.dispose()
    if builder.problems:
        raise ConfigError(builder.problems)
    return YamlDocument(file, data, builder.positions)


def duplicates(values: Iterable[str]) -> list[str]:
    """The values given more than once, sorted (one pass: lists of 30,000 gateways).
    Most lists have none, and a set says so first: 0.2 us for a list of one tag here,
    against 1.5 us counting it, and reading 10,000 people back checks 35,000 lists."""
    items = values if isinstance(values, list) else list(values)
    if len(set(items)) == len(items):
        return []
    return sorted(v for v, n in Counter(items).items() if n > 1)


def _data_path(doc: YamlDocument, loc: tuple[int | str, ...]) -> PathKey:
    """Follow pydantic's ``loc`` through the data, skipping union/discriminator tags."""
    path: list[str | int] = []
    node: Any = doc.data
    for part in loc:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and part in node.values():
            continue  # the tag of a discriminated union ("driver: hci_uart"), not a key
        elif isinstance(node, dict) and isinstance(part, str) and part == loc[-1]:
            path.append(part)  # a missing or unknown key: name it, point at its parent
    return tuple(path)


def problems_from(doc: YamlDocument, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        path = _data_path(doc, tuple(err["loc"]))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif err["type"] == "missing":
            message = "required key is missing"
        message = message.removeprefix("Value error, ")
        problems.append(doc.problem(path, message))
    # One line per place: unions can report the same spot several times.
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line, p.column))


def validate(doc: YamlDocument, model: type[M], context: dict[str, Any] | None = None) -> M:
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise ConfigError(problems_from(doc, exc)) from exc


def load(path: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    return validate(read_yaml(path), model, context)
