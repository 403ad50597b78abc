"""Fields Salesforce computes on save: names, auto-numbers, closed flags.

``derive`` fills them into ``values`` (the full row being written) before checks run;
``current`` is the stored row on update and None on create.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockstep_emulator.schema.auto_number import render
from lockstep_emulator.schema.model import ObjectDef
from lockstep_emulator.store.layout import format_datetime, q

if TYPE_CHECKING:
    from lockstep_emulator.store.records import RecordStore


def derive(
    store: RecordStore, obj: ObjectDef, values: dict[str, Any], current: dict[str, Any] | None
) -> None:
    if current is None:
        for f in obj.fields.values():
            if f.auto_number and not values.get(f.name):
                count = store.db.next_counter(f"auto:{obj.name}.{f.name}")
                number = f.starting_number + count - 1
                values[f.name] = render(f.display_format, number, store.clock.now().date())
    if obj.name in ("Contact", "User") and "LastName" in values:
        first = values.get("FirstName")
        values["Name"] = f"{first} {values['LastName']}" if first else values["LastName"]
    elif obj.name == "Case":
        closed = values.get("Status") == "Closed"
        values["IsClosed"] = int(closed)
        if closed and not (current or {}).get("IsClosed"):
            values["ClosedDate"] = format_datetime(store.clock.now())
        elif not closed:
            values["ClosedDate"] = None
    elif obj.name == "Opportunity":
        stage = values.get("StageName") or ""
        values["IsClosed"] = int(stage.startswith("Closed"))
        values["IsWon"] = int(stage == "Closed Won")
    elif obj.name == "PricebookEntry" and values.get("Product2Id"):
        row = store.db.conn.execute(
            f'SELECT "Name", "ProductCode" FROM {q("Product2")} WHERE "Id" = ?',
            (values["Product2Id"],),
        ).fetchone()
        if row is not None:
            values["Name"], values["ProductCode"] = row
