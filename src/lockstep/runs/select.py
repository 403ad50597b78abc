"""Read one side of a binding: every record in scope, mapped to canonical values.

The read every flow makes of a system: migrate's select, reconcile's snapshot, and the
names sync's capture and drain need (key, bound fields, housekeeping fields, a new
record's external id). The rows stream from the connector and only their canonical
form (plus the few native fields lockstep maintains itself: external id, global id,
written-back ids) is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lockstep.config.entities import Binding
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import Connector
from lockstep.mapping.record import Canonical, Reader


def key_field(binding: Binding, system: SalesforceSystem | SqlSystem) -> str:
    """The binding's native key: as configured, else ``Id`` (Salesforce) or ``id`` (SQL)."""
    if binding.key:
        return binding.key
    return "Id" if isinstance(system, SalesforceSystem) else "id"


def housekeeping_fields(binding: Binding) -> list[str]:
    """Native fields lockstep itself writes: external id, global id, written-back ids and
    the sync status."""
    names = [binding.external_id, binding.global_id_field]
    if binding.write_back is not None:
        names.extend(binding.write_back.ids.values())
        if binding.write_back.status is not None:
            names.append(binding.write_back.status.field)
            names.append(binding.write_back.status.reason)
    return list(dict.fromkeys(n for n in names if n))


def external_id_value(binding: Binding) -> Callable[[str, str], str]:
    """What a new record's external id holds, from (source key, global id): the global
    id when the external id is the binding's global-id field (names compared without
    case, as Salesforce does), else the source record's key."""
    uses_gid = (binding.global_id_field or "").lower() == (binding.external_id or "").lower()
    return (lambda _key, gid: gid) if uses_gid else (lambda key, _gid: key)


def bound_names(binding: Binding, *, writable: bool = False) -> frozenset[str]:
    """The canonical fields and references ``binding`` maps to a native field (and,
    with ``writable``, that lockstep may write: not ``read_only``)."""
    return frozenset(
        name for name, fm in binding.fields.items() if fm.field and not (writable and fm.read_only)
    )


def mapped_fields(binding: Binding) -> list[str]:
    return list(dict.fromkeys(m.field for m in binding.fields.values() if m.field))


@dataclass(frozen=True)
class SideRecord:
    """One record of one side: its native key, canonical form and housekeeping values
    (by native field name as configured)."""

    key: str
    record: Canonical
    house: Mapping[str, Any]


def read_side(
    connector: Connector,
    binding: Binding,
    system: SalesforceSystem | SqlSystem,
    reader: Reader,
    *,
    where: str | None = None,
    page_size: int = 2000,
    on_page: Callable[[int], None] | None = None,
) -> list[SideRecord]:
    """Every record of ``binding`` passing its filter (and ``where``), mapped."""
    pages = read_pages(
        connector, binding, system, reader, where=where, page_size=page_size, on_page=on_page
    )
    return [record for page in pages for record in page]


def read_pages(
    connector: Connector,
    binding: Binding,
    system: SalesforceSystem | SqlSystem,
    reader: Reader,
    *,
    where: str | None = None,
    page_size: int = 2000,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[list[SideRecord]]:
    """``read_side``, a page at a time as the system gives them: a caller that keeps
    only what it needs of each page (or keeps the records elsewhere) holds one page,
    not the object."""
    key = key_field(binding, system)
    house = housekeeping_fields(binding)
    fields = list(dict.fromkeys([key, *mapped_fields(binding), *house]))
    condition = _and(binding.filter, where)
    resolve = _Resolver(key, house)
    for page in connector.snapshot(binding.target, fields, where=condition, page_size=page_size):
        out: list[SideRecord] = []
        for row in page:
            native_key, extras = resolve(row)
            out.append(SideRecord(native_key, reader.read(row), extras))
        if on_page is not None:
            on_page(len(page))
        yield out


class _Resolver:
    """Finds the key and housekeeping values in rows whose spelling of names may differ
    from the config's (Salesforce names are case-insensitive); resolved once per key set."""

    def __init__(self, key: str, house: Sequence[str]) -> None:
        self._key = key
        self._house = house
        self._cache: dict[frozenset[str], tuple[str, list[tuple[str, str]]]] = {}

    def __call__(self, row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        names = frozenset(row)
        plan = self._cache.get(names)
        if plan is None:
            lowered = {n.lower(): n for n in row}
            key = lowered.get(self._key.lower(), self._key)
            pairs = [(h, lowered.get(h.lower(), h)) for h in self._house]
            plan = self._cache[names] = (key, pairs)
        key, pairs = plan
        return str(row[key]), {h: row.get(actual) for h, actual in pairs}


def _and(*conditions: str | None) -> str | None:
    present = [c for c in conditions if c]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return " AND ".join(f"({c})" for c in present)
