"""A sandbox refresh: the org gets a new id, every record a new id, references follow.

Salesforce copies production into a new org; lockstep's ``remap`` must then find its
records again by external id (seed 004). Here the data stays where it is and every id
is re-issued on a new pod (the two characters after the key prefix), so an id from
before the refresh names nothing afterwards, while every value, external ids
included, is kept.

The rewrite is done in SQL, so thousands of rows take milliseconds: a temporary
``refresh_map`` (old id → new id) is filled from every table in one statement per
object, then each table's id and reference columns are rewritten from it in one
UPDATE. Hooks (``on_refresh``: change-data-capture, bulk jobs) run inside the same
transaction while the map still exists, to rewrite or drop their own ids. Ids that
point outside the org (none should) are left as they are.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from lockstep_emulator import ids
from lockstep_emulator.org import Org
from lockstep_emulator.schema.model import FieldType
from lockstep_emulator.store.layout import q, stored_fields

MAP = "temp.refresh_map"
RefreshHook = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did."""

    org_id: str
    previous_org_id: str
    pod: str
    records: int


def refresh(org: Org, hooks: Sequence[RefreshHook] = ()) -> Refreshed:
    """Re-issue every id of ``org`` in one transaction; update the org once committed."""
    db = org.db
    pod = new_pod(org.store.pod)
    with db.transaction() as conn:
        conn.create_function("lockstep_repod", 1, partial(repod, pod=pod), deterministic=True)
        conn.execute(f"DROP TABLE IF EXISTS {MAP}")
        conn.execute(
            f"CREATE TABLE {MAP} (old TEXT PRIMARY KEY COLLATE NOCASE, new TEXT NOT NULL UNIQUE)"
        )
        for obj in db.schema:
            conn.execute(
                f'INSERT INTO {MAP} (old, new) SELECT "Id", lockstep_repod("Id") FROM {q(obj.name)}'
            )
        records = conn.execute(f"SELECT COUNT(*) FROM {MAP}").fetchone()[0]
        for obj in db.schema:
            columns = [
                f.name for f in stored_fields(obj) if f.type in (FieldType.ID, FieldType.REFERENCE)
            ]
            sets = ", ".join(
                f"{q(c)} = CASE WHEN {q(c)} IS NULL THEN NULL ELSE "
                f"COALESCE((SELECT m.new FROM {MAP} m WHERE m.old = {q(c)}), {q(c)}) END"
                for c in columns
            )
            conn.execute(f"UPDATE {q(obj.name)} SET {sets}")
        conn.execute(
            f"UPDATE _deleted SET id = COALESCE((SELECT m.new FROM {MAP} m WHERE m.old = id), id)"
        )
        org_id, user_id = repod(org.org_id, pod), repod(org.user_id, pod)
        db.set_meta("org:id", org_id)
        db.set_meta("org:user_id", user_id)
        db.set_meta("org:pod", pod)
        for hook in hooks:
            hook(conn)
        conn.execute(f"DROP TABLE {MAP}")
    previous = org.org_id
    org.org_id, org.user_id, org.store.pod = org_id, user_id, pod
    return Refreshed(org_id, previous, pod, int(records))


def repod(record_id: str, pod: str) -> str:
    """``record_id`` on another pod: same key prefix and counter, new checksum."""
    return ids.to18(record_id[:3] + pod + record_id[5:15])


def new_pod(current: str) -> str:
    """Two characters (a letter, a digit) other than the current pod's."""
    while True:
        pod = secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + secrets.choice("0123456789")
        if pod != current:
            return pod
