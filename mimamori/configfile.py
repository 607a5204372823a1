"""Load a YAML file into a frozen pydantic model, reporting mistakes with their place.

Every problem becomes ``FILE:LINE:COL: key: message``. PyYAML's composer keeps the
position of every node; we build the plain data ourselves so each path into the
document remembers where it was written, then map pydantic's error locations back
onto those positions. Duplicate keys, which YAML parsers usually let pass silently
(the last one wins), are reported too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ConfigError, Problem

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

    def problem(self, path: PathKey, message: str) -> Problem:
        line, column = self.place(path)
        return Problem(self.file, line, column, dotted(path), message)


def dotted(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def _mark(self, node: yaml.Node) -> tuple[int, int]:
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.positions.setdefault(path, self._mark(node))
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # honour '<<' merge keys
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | bool | float) or key is None:
                    line, col = self._mark(key_node)
                    self.problems.append(
                        Problem(self.file, line, col, dotted(path), "keys must be plain words")
                    )
                    continue
                key = str(key)
                child = (*path, key)
                if key in result:
                    line, col = self._mark(key_node)
                    self.problems.append(
                        Problem(self.file, line, col, dotted(child), "duplicate key")
                    )
                    continue
                # The key's own position is the best place to point at for its errors.
                self.positions[child] = self._mark(key_node)
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def read_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; raise ConfigError (with a position) if it is not usable YAML."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(file, 1, 1, "(file)", f"cannot read: {exc}")]) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError([Problem(file, 1, 1, "(document)", "the file is empty")])
        builder = _Builder(loader, file)
        data = builder.build(node, ())
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
