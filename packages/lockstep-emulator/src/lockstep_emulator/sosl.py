"""The SOSL the emulator answers: a documented subset, read into a frozen ``Search``.

    FIND {acme widg*} IN NAME FIELDS RETURNING Account(Id, Name), Contact LIMIT 20

Served: one ``FIND {…}`` of plain words (all must match; ``*`` any run of letters or
digits, ``?`` one), ``IN NAME FIELDS``, ``RETURNING`` objects each with an optional
field list, and an optional ``LIMIT``. Anything else (other scopes, AND/OR/NOT,
quoted phrases, WHERE/ORDER BY/LIMIT inside RETURNING, WITH, UPDATE …) is refused with
Salesforce's ``MALFORMED_SEARCH`` and a message naming what the emulator lacks, rather
than answered wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lockstep_emulator.errors import SalesforceError

MAX_LIMIT = 2000

_SEARCH = re.compile(r"\s*FIND\s*\{(?P<term>[^{}]*)\}\s*(?P<rest>.*)", re.IGNORECASE | re.DOTALL)
_SCOPE = re.compile(r"IN\s+(?P<scope>\w+)\s+FIELDS\s*(?P<rest>.*)", re.IGNORECASE | re.DOTALL)
_RETURNING = re.compile(
    r"RETURNING\s+(?P<objects>.+?)(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.IGNORECASE | re.DOTALL
)
_OBJECT = re.compile(r"\s*(?P<name>\w+)\s*(?:\((?P<fields>[^()]*)\))?\s*(?:,|$)")
_WORD = re.compile(r"[\w*?]+")
_OPERATORS = {"and", "or", "not", "and not"}


@dataclass(frozen=True)
class Returning:
    """An object to search, and the fields its records are returned with (Id if none)."""

    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Search:
    words: tuple[str, ...]
    objects: tuple[Returning, ...]
    limit: int

    def matches(self, text: str | None) -> bool:
        """Whether every word matches a whole word of ``text``, ignoring case."""
        tokens = re.findall(r"\w+", (text or "").lower())
        return all(any(_pattern(w).fullmatch(t) for t in tokens) for w in self.words)


def _pattern(word: str) -> re.Pattern[str]:
    return re.compile(re.escape(word.lower()).replace(r"\*", r"\w*").replace(r"\?", r"\w"))


def malformed(message: str) -> SalesforceError:
    return SalesforceError("MALFORMED_SEARCH", message)


def parse(text: str) -> Search:
    """``text`` as a ``Search``; MALFORMED_SEARCH when it is not in the served subset."""
    found = _SEARCH.fullmatch(text)
    if found is None:
        raise malformed("No search term found. The search term must be enclosed in braces.")
    words = _words(found.group("term"))
    scope = _SCOPE.fullmatch(found.group("rest"))
    if scope is None or scope.group("scope").upper() != "NAME":
        raise malformed(
            "The emulator searches IN NAME FIELDS only; write FIND {…} IN NAME FIELDS RETURNING …"
        )
    returning = _RETURNING.fullmatch(scope.group("rest"))
    if returning is None:
        raise malformed("The emulator needs RETURNING with the objects to search")
    limit = int(returning.group("limit") or MAX_LIMIT)
    return Search(words, _objects(returning.group("objects")), min(limit, MAX_LIMIT))


def _words(term: str) -> tuple[str, ...]:
    words = tuple(term.split())
    if not words:
        raise malformed("No search term found. The search term must be enclosed in braces.")
    for word in words:
        if word.lower() in _OPERATORS or not _WORD.fullmatch(word):
            raise malformed(
                f"The emulator searches for plain words (with * and ?) only, not {word!r}"
            )
        if len(word.strip("*?")) < 2:
            raise malformed("search term must be longer than one character")
    return words


def _objects(text: str) -> tuple[Returning, ...]:
    objects: list[Returning] = []
    position = 0
    while position < len(text):
        found = _OBJECT.match(text, position)
        if found is None or found.end() == position:
            raise malformed(
                "The emulator reads RETURNING Object(Field, …), … only: "
                f"no WHERE, ORDER BY or LIMIT per object (at {text[position:]!r})"
            )
        fields = tuple(f.strip() for f in (found.group("fields") or "").split(",") if f.strip())
        if any(not re.fullmatch(r"\w+(\.\w+)*", f) for f in fields):
            raise malformed(
                f"The emulator reads a plain field list in RETURNING {found.group('name')}(…)"
            )
        objects.append(Returning(found.group("name"), fields))
        position = found.end()
    return tuple(objects)
