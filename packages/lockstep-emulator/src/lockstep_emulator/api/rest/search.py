"""``GET search?q=<SOSL>``: the subset ``lockstep_emulator.sosl`` reads, over the store.

Each RETURNING object is searched on its name field; its matching records are then
read through SOQL, so they have the same shape as a query's (``attributes`` first),
in the order of their ids. ``searchRecords`` lists them object by object, at most
``LIMIT`` in all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockstep_emulator import soql, sosl
from lockstep_emulator.api.dispatch import Call, Reply, Router
from lockstep_emulator.errors import SalesforceError

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

CHUNK = 500  # ids per follow-up SOQL query


def search(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    wanted = sosl.parse(call.query.get("q", ""))
    found: list[dict[str, Any]] = []
    for returning in wanted.objects:
        room = wanted.limit - len(found)
        if room <= 0:
            break
        found.extend(_search_object(ctx, call, wanted, returning, room))
    return Reply(200, {"searchRecords": found})


def _search_object(
    ctx: ApiContext, call: Call, wanted: sosl.Search, returning: sosl.Returning, room: int
) -> list[dict[str, Any]]:
    obj = ctx.org.schema.get(returning.name)
    if obj is None:
        raise SalesforceError("INVALID_TYPE", f"sObject type '{returning.name}' is not supported.")
    name = obj.name_field
    if name is None:
        raise sosl.malformed(f"{obj.name} has no name field to search")
    rows = _records(ctx, call, f"SELECT Id, {name.name} FROM {obj.name} ORDER BY Id")
    ids = [r["Id"] for r in rows if wanted.matches(r.get(name.name))][:room]
    fields = ", ".join(returning.fields or ("Id",))
    records: list[dict[str, Any]] = []
    for start in range(0, len(ids), CHUNK):
        quoted = ", ".join(f"'{i}'" for i in ids[start : start + CHUNK])
        text = f"SELECT {fields} FROM {obj.name} WHERE Id IN ({quoted}) ORDER BY Id"
        records.extend(_records(ctx, call, text))
    return records


def _records(ctx: ApiContext, call: Call, text: str) -> list[dict[str, Any]]:
    conn = ctx.org.db.read_connection()
    try:
        cursor = soql.execute(
            conn, ctx.org.schema, text, now=ctx.org.clock.now(), api_version=call.version
        )
        return cursor.fetch(max(cursor.total_size, 1))
    finally:
        conn.close()


def register(router: Router) -> None:
    router.add("GET", "search", search)
