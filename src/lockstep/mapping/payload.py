"""What a queued change carries: the record in canonical form, as the change read it.

::

    {"values": {canonical field: value},
     "refs": {reference: the parent's native id in the origin, or None},
     "house": {native housekeeping field: value},      # ids written back, status...
     "problems": ["why the record cannot be carried", ...]}

References stay native until the change is drained: the parent may reach the ledger
only in the same drain, ahead of its child.

sync's capture packs what it reads, and reconcile packs the owners' records it queues
for repair; both hand them to the one drain. It is the stored form of a ``Canonical``,
so it lives beside it, below the flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lockstep.mapping.record import Canonical


@dataclass(frozen=True)
class Payload:
    values: Mapping[str, Any] = field(default_factory=dict)
    refs: Mapping[str, str | None] = field(default_factory=dict)
    house: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def pack(record: Canonical, house: Mapping[str, Any]) -> dict[str, Any]:
    packed: dict[str, Any] = {
        "values": dict(record.values),
        "refs": dict(record.refs),
        "house": dict(house),
    }
    if record.problems:
        packed["problems"] = list(record.problems)
    return packed


def unpack(stored: Mapping[str, Any] | None) -> Payload:
    if stored is None:
        return Payload()
    return Payload(
        dict(stored.get("values") or {}),
        dict(stored.get("refs") or {}),
        dict(stored.get("house") or {}),
        tuple(stored.get("problems") or ()),
    )
