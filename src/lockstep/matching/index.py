"""Finding a record among others by an entity's match rules.

A rule's *key* for a record is its fields' normalized values joined into one string;
a record without a value in one of the fields has no key under that rule and is never
matched by it. ``MatchIndex`` holds one dict per rule, key → native ids, so finding a
record is one look-up per rule: rules are tried in order, and the first rule under
which any record shares the key decides (one candidate, or several).

The values given are canonical values by name; a rule naming a reference needs the
caller to put comparable ids under that name (global ids, say), since native ids
differ from system to system.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lockstep.config.entities import MatchRule
from lockstep.matching.normalize import Normalize, normalizer

Values = Mapping[str, Any]


def rule_label(rule: MatchRule) -> str:
    """``name+city (case, whitespace)``, or ``email`` for a rule without normalizers."""
    label = "+".join(rule.fields)
    return f"{label} ({', '.join(rule.normalize)})" if rule.normalize else label


def _escape(part: str) -> str:
    if "|" in part or "\\" in part:
        return part.replace("\\", "\\\\").replace("|", "\\|")
    return part


@dataclass(frozen=True)
class _Rule:
    """A rule ready to key records: its label, fields and normalizer."""

    label: str
    fields: tuple[str, ...]
    normalize: Normalize

    @classmethod
    def of(cls, rule: MatchRule) -> _Rule:
        return cls(rule_label(rule), tuple(rule.fields), normalizer(rule.normalize))

    def key(self, values: Values) -> str | None:
        normalize = self.normalize
        if len(self.fields) == 1:
            return normalize(values.get(self.fields[0]))
        parts = []
        for name in self.fields:
            part = normalize(values.get(name))
            if part is None:
                return None
            parts.append(_escape(part))
        return "|".join(parts)


def key_of(rule: MatchRule, values: Values) -> str | None:
    """The rule's key for ``values``: its field's normalized value, or for a rule of
    several fields their normalized values joined by ``|`` (a ``|`` or ``\\`` inside
    one escaped with ``\\``); ``None`` when any of them is empty."""
    return _Rule.of(rule).key(values)


def rule_keys(rules: Sequence[MatchRule]) -> Callable[[Values], tuple[str | None, ...]]:
    """A function giving each rule's key for ``values``, in rule order (``None`` where
    the rule has none): what ``MatchIndex`` files a record under, for a caller that
    keeps its index elsewhere (a work file on disk)."""
    prepared = tuple(_Rule.of(rule) for rule in rules)

    def keys(values: Values) -> tuple[str | None, ...]:
        return tuple(rule.key(values) for rule in prepared)

    return keys


@dataclass(frozen=True)
class Match:
    """What the rules found: ``none``; ``one`` record; or ``many`` — by ``rule``
    (its label) under ``key``, the native ids ``ids``."""

    kind: Literal["none", "one", "many"]
    rule: str | None = None
    key: str | None = None
    ids: tuple[str, ...] = ()


NO_MATCH = Match("none")


class MatchIndex:
    """The records of one side, by each rule's key."""

    def __init__(self, rules: Sequence[MatchRule]) -> None:
        self._rules = tuple(_Rule.of(rule) for rule in rules)
        self._maps: tuple[dict[str, list[str]], ...] = tuple({} for _ in self._rules)

    @classmethod
    def build(cls, rules: Sequence[MatchRule], records: Iterable[tuple[str, Values]]) -> MatchIndex:
        """An index of ``records``, pairs of (native id, canonical values)."""
        index = cls(rules)
        for native_id, values in records:
            index.add(native_id, values)
        return index

    def add(self, native_id: str, values: Values) -> None:
        """Index one more record (a record created meanwhile, say)."""
        for rule, keyed in zip(self._rules, self._maps, strict=True):
            key = rule.key(values)
            if key is None:
                continue
            ids = keyed.get(key)
            if ids is None:
                keyed[key] = [native_id]
            else:
                ids.append(native_id)

    def find(self, values: Values) -> Match:
        """The records ``values`` match: the first rule with any candidate decides."""
        for rule, keyed in zip(self._rules, self._maps, strict=True):
            key = rule.key(values)
            if key is None:
                continue
            ids = keyed.get(key)
            if ids:
                found = _distinct(ids)
                return Match("one" if len(found) == 1 else "many", rule.label, key, found)
        return NO_MATCH

    def __len__(self) -> int:
        """How many keys the index holds, over all rules."""
        return sum(len(keyed) for keyed in self._maps)


def source_duplicates(
    rules: Sequence[MatchRule], records: Iterable[tuple[str, Values]]
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Groups of two or more records sharing a key under some rule, as (rule label,
    key, native ids), by rule in order, then by first appearance. A record has one
    key per rule, so it is in at most one group per rule."""
    index = MatchIndex.build(rules, records)
    groups = []
    for rule, keyed in zip(index._rules, index._maps, strict=True):
        for key, ids in keyed.items():
            if len(ids) > 1:
                found = _distinct(ids)
                if len(found) > 1:
                    groups.append((rule.label, key, found))
    return groups


def _distinct(ids: list[str]) -> tuple[str, ...]:
    """``ids`` once each, in order (an id given twice is one record)."""
    return tuple(ids) if len(ids) == 1 else tuple(dict.fromkeys(ids))
