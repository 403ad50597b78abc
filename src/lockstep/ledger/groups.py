"""Record groups: the queue items that are one record's changes, which the claim takes
together or not at all.

Two items are of one record when they share a *record key*: the same native id in the
same origin, or the same global id (the record seen from another system). A group is
the items joined by such keys, transitively. Pure: the claim reads the items, this
says which groups they form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """What the claim needs to know of one pending or in-flight item."""

    id: int
    entity: str
    origin: str
    native_id: str
    global_id: str | None
    state: str


def keys(member: Member) -> tuple[str, ...]:
    """The record keys of ``member`` (also the names of its advisory locks)."""
    native = f"{member.entity}|{member.origin}|{member.native_id}"
    if member.global_id is None:
        return (native,)
    return native, f"{member.entity}|gid|{member.global_id}"


def groups(members: Iterable[Member]) -> list[list[Member]]:
    """``members`` split into record groups, each in id order; groups in the order
    of their oldest item."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    members = list(members)
    for member in members:
        first, *rest = keys(member)
        for key in rest:
            parent[root(key)] = root(first)
    found: dict[str, list[Member]] = {}
    for member in sorted(members, key=lambda m: m.id):
        found.setdefault(root(keys(member)[0]), []).append(member)
    return sorted(found.values(), key=lambda group: group[0].id)
