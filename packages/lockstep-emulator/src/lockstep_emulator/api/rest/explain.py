"""``GET query?explain=<SOQL>``: Query Performance Feedback, as an emulator can give it.

Salesforce answers ``{"plans": [...]}``, the ways its optimizer could run the query,
best first. The emulator has no optimizer: it answers one ``TableScan`` plan whose
``cardinality`` is the query's exact record count and ``sobjectCardinality`` the
object's live records, with ``relativeCost`` their ratio. A query Salesforce would
refuse is refused alike (``MALFORMED_QUERY``, ``INVALID_FIELD`` …); a report or list
view id is ``INVALID_ID``, since the emulator has neither.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lockstep_emulator import soql
from lockstep_emulator.api.dispatch import Call, Reply
from lockstep_emulator.errors import SalesforceError

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


def explain(ctx: ApiContext, call: Call, text: str) -> Reply:
    if _ID.fullmatch(text.strip()):
        raise SalesforceError("INVALID_ID", f"No report or list view has the id {text.strip()}")
    obj = ctx.org.schema.get(soql.parse(text).sobject.path[0])
    conn = ctx.org.db.read_connection()
    try:
        cursor = soql.execute(
            conn, ctx.org.schema, text, now=ctx.org.clock.now(), api_version=call.version
        )
        cardinality = cursor.total_size
    finally:
        conn.close()
    assert obj is not None  # execute refuses an unknown object first
    total = ctx.org.store.count(obj)
    plan = {
        "cardinality": cardinality,
        "fields": [],
        "leadingOperationType": "TableScan",
        "notes": [],
        "relativeCost": round(cardinality / total, 4) if total else 0.0,
        "sobjectCardinality": total,
        "sobjectType": obj.name,
    }
    return Reply(200, {"plans": [plan]})
