"""Read YAML keeping its node tree, so an error found in the data can name its line.

``load`` parses; ``Problems`` collects what validation finds, each placed in the file,
so that every mistake is reported at once and in file order.

Validation (pydantic or our own checks) reports a location as a path of keys and
indexes, ``("objects", "Usage__c", "fields", "Units__c", "scale")``; ``Located.where``
walks the composed node tree along that path and answers the line and column, plus the
part of the path that exists in the file (a discriminated union adds its tag to
pydantic's path; a missing key is, by definition, not in the file). Both are 1-based,
as editors count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

Loc = Sequence[str | int]
M = TypeVar("M")


@dataclass(frozen=True)
class Where:
    """A place in the file and the dotted path of what is there."""

    line: int
    column: int
    path: str


class YamlSyntaxError(Exception):
    """The text is not YAML; ``line``/``column`` are 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Located:
    """The data of a YAML document together with its node tree."""

    data: Any
    root: yaml.Node | None
    duplicates: tuple[tuple[Where, str], ...] = ()

    def where(self, loc: Loc, *, at_key: bool = False) -> Where:
        """Where ``loc`` is; on its key rather than its value when ``at_key``."""
        node = self.root
        if node is None:
            return Where(1, 1, "")
        mark = node.start_mark
        parts: list[str] = []
        for i, item in enumerate(loc):
            last = i == len(loc) - 1
            if isinstance(node, yaml.MappingNode):
                pair = _find_key(node, item)
                if pair is None:
                    continue
                key, value = pair
                parts.append(str(item))
                node = value
                mark = key.start_mark if last and at_key else value.start_mark
            elif isinstance(node, yaml.SequenceNode) and isinstance(item, int):
                if not 0 <= item < len(node.value):
                    continue
                parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
                node = node.value[item]
                mark = node.start_mark
        return Where(mark.line + 1, mark.column + 1, ".".join(parts))


def load(text: str) -> Located:
    """Parse one YAML document safely (no Python tags), keeping its nodes."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        duplicates: list[tuple[Where, str]] = []
        if root is not None:
            _walk_duplicates(root, [], duplicates)  # before merge keys (<<) add copies
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise YamlSyntaxError(problem) from None
        raise YamlSyntaxError(problem, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc)) from None
    finally:
        loader.dispose()
    return Located(data, root, tuple(duplicates))


def _find_key(node: yaml.MappingNode, item: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == str(item):
            return key, value
    return None


def _walk_duplicates(node: yaml.Node, path: list[str], found: list[tuple[Where, str]]) -> None:
    """Keys that repeat in one mapping, compared case-insensitively as Salesforce
    compares names: YAML itself keeps only the last one, silently."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            name = key.value.lower()
            if name in seen:
                mark = key.start_mark
                where = Where(mark.line + 1, mark.column + 1, ".".join([*path, key.value]))
                found.append((where, f"duplicate key (first on line {seen[name]})"))
            else:
                seen[name] = key.start_mark.line + 1
            _walk_duplicates(value, [*path, key.value], found)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            last = path[-1] if path else ""
            _walk_duplicates(child, [*path[:-1], f"{last}[{i}]"], found)


@dataclass
class Problems:
    """Every problem found so far in one file, each as ``file:line:column: path: what``."""

    source: str
    located: Located
    found: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        self.add_at(self.located.where(loc, at_key=at_key), message)

    def add_at(self, where: Where, message: str) -> None:
        subject = f"{where.path}: " if where.path else ""
        text = f"{self.source}:{where.line}:{where.column}: {subject}{message}"
        if (where.line, where.column, text) not in self.found:
            self.found.append((where.line, where.column, text))

    def validate(self, adapter: TypeAdapter[M], data: Any, loc: Loc) -> M | None:
        """``data`` validated, or None after recording each of pydantic's errors."""
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                self._add_pydantic((*loc, *error["loc"]), error)
            return None

    def messages(self) -> list[str]:
        """Every message, in file order."""
        return [text for _, _, text in sorted(self.found)]

    def _add_pydantic(self, loc: tuple[str | int, ...], error: Any) -> None:
        """pydantic's error in words that fit a YAML file (keys, mappings, quoting)."""
        kind = error["type"]
        if kind == "missing":
            self.add(loc, f"missing required key '{loc[-1]}'")
        elif kind == "extra_forbidden":
            self.add(loc, "unknown key", at_key=True)
        elif kind == "union_tag_invalid":
            key = error["ctx"]["discriminator"].strip("'")
            expected = error["ctx"]["expected_tags"].replace("'", "")
            tag = error["ctx"]["tag"]
            self.add((*loc, key), f"unknown {key} '{tag}'; expected one of: {expected}")
        elif kind == "union_tag_not_found":
            self.add(loc, f"missing required key '{error['ctx']['discriminator'].strip(chr(39))}'")
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            self.add(loc, "expected a mapping")
        elif kind == "string_type" and isinstance(error.get("input"), bool):
            self.add(
                loc,
                "expected text, got a boolean: YAML reads yes/no/on/off unquoted "
                "as booleans, so quote the value",
            )
        else:
            self.add(loc, str(error["msg"]).removeprefix("Value error, "))
