"""``${VAR}`` and ``${VAR:-default}`` in the text values of the loaded YAML.

Only string scalars change (keys never do), anywhere within the string:
``postgresql://app:${DB_PASSWORD}@db/app``. ``${VAR:-default}`` uses ``default`` when
VAR is unset or empty, as the shell does; ``$${`` writes a literal ``${``. The result
is text: pydantic turns ``"5"`` into 5 where a number is wanted.

Substitution happens after parsing, so a value can never change the file's structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

Loc = tuple[str | int, ...]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Interpolated(NamedTuple):
    """The data with every variable substituted; a message per scalar that could not be
    (there the scalar is left as written); and each value taken from the environment,
    where it went (so that those that went into secrets can be masked)."""

    data: Any
    problems: tuple[tuple[Loc, str], ...]
    values: tuple[tuple[Loc, str], ...] = ()


def interpolate(data: Any, environ: Mapping[str, str]) -> Interpolated:
    """``data`` (plain YAML data) with ``${...}`` substituted from ``environ``."""
    problems: list[tuple[Loc, str]] = []
    values: list[tuple[Loc, str]] = []
    result = _walk(data, (), environ, problems, values)
    return Interpolated(result, tuple(problems), tuple(values))


def substitute(
    text: str, environ: Mapping[str, str], used: list[str] | None = None
) -> tuple[str, tuple[str, ...]]:
    """One string with its variables substituted, and what went wrong (if anything,
    the string comes back unchanged). The values used are appended to ``used``."""
    problems: list[str] = []
    taken: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        body = match.group(1)
        if body is None:
            problems.append("unclosed '${' (write '$${' for a literal '${')")
            return token
        name, sep, default = body.partition(":-")
        if not _NAME.fullmatch(name):
            problems.append(
                f"'${{{body}}}' is not a variable: expected ${{NAME}} or ${{NAME:-default}}"
            )
            return token
        value = environ.get(name)
        if sep and not value:
            return default
        if value is None:
            problems.append(f"environment variable '{name}' is not set")
            return token
        taken.append(value)
        return value

    result = _TOKEN.sub(replace, text)
    if problems:
        return text, tuple(problems)
    if used is not None:
        used.extend(taken)
    return result, ()


def _walk(
    data: Any,
    loc: Loc,
    environ: Mapping[str, str],
    problems: list[tuple[Loc, str]],
    values: list[tuple[Loc, str]],
) -> Any:
    if isinstance(data, str):
        used: list[str] = []
        text, found = substitute(data, environ, used)
        problems.extend((loc, message) for message in found)
        values.extend((loc, value) for value in used)
        return text
    if isinstance(data, dict):
        return {k: _walk(v, (*loc, k), environ, problems, values) for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v, (*loc, i), environ, problems, values) for i, v in enumerate(data)]
    return data
