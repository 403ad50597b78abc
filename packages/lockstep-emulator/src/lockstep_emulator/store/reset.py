"""Wiping an org's data back to what it had when it was created.

Kept: the org's bootstrap rows (the ``Organization`` row, the integration user, the
standard price book), its id, its sessions (a test that resets between cases keeps
its login), its id counters (a record id is never handed out twice, so a stale id
from before a reset names nothing rather than a new record) and its clock. Everything
else goes, recycle bin included, without change events: a reset is not something a
Salesforce org does, so no client should see it as data changing.
"""

from __future__ import annotations

from lockstep_emulator.org import Org
from lockstep_emulator.store.layout import q


def reset(org: Org) -> int:
    """Delete every record but the bootstrap rows, in one transaction; how many went."""
    db = org.db
    deleted = 0
    with db.transaction() as conn:
        for obj in db.schema:
            if obj.name == "Organization":
                continue
            where = ""
            if obj.name == "User":
                where = ' WHERE "Id" <> ?'
            elif obj.name == "Pricebook2":
                where = ' WHERE "IsStandard" = 0 OR "IsStandard" IS NULL'
            params = (org.user_id,) if obj.name == "User" else ()
            deleted += conn.execute(f"DELETE FROM {q(obj.name)}{where}", params).rowcount
        conn.execute("DELETE FROM _deleted")
    return deleted
