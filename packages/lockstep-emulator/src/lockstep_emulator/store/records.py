"""Validated reads and writes of records, with system fields and the recycle bin.

Every method runs inside the caller's transaction (``Database.transaction``), so a
collection of 200 records, a composite request or a bulk batch commits or rolls back
as one. Change listeners (``on_change``) see each write inside that same transaction,
which is where change-data-capture events are recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lockstep_emulator import ids
from lockstep_emulator.clock import Clock
from lockstep_emulator.errors import NotFound, SalesforceError
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef, Schema
from lockstep_emulator.store import checks
from lockstep_emulator.store.db import Database
from lockstep_emulator.store.derive import derive
from lockstep_emulator.store.layout import format_datetime, insert_sql, q, rollup_sql, to_json
from lockstep_emulator.store.rules import check_rules
from lockstep_emulator.store.values import to_stored

RECYCLE_BIN_DAYS = 15


@dataclass(frozen=True)
class Change:
    """One committed-with-the-transaction write, for listeners such as CDC."""

    object: str
    record_id: str
    kind: str  # CREATE | UPDATE | DELETE | UNDELETE
    values: Mapping[str, Any]
    changed_fields: tuple[str, ...]
    user_id: str
    stamp: datetime


ChangeListener = Callable[[Change], None]


class RecordStore:
    """Create, read, update, delete and find records of any object in the schema."""

    def __init__(self, db: Database, clock: Clock, pod: str) -> None:
        self.db = db
        self.schema: Schema = db.schema
        self.clock = clock
        self.pod = pod
        self.listeners: list[ChangeListener] = []
        self._stamp_tx = -1
        self._tx_stamp = clock.stamp()

    # -- lookups ----------------------------------------------------------------------

    def object(self, name: str) -> ObjectDef:
        """The object called ``name`` or a 404 NOT_FOUND naming it."""
        obj = self.schema.get(name)
        if obj is None:
            raise NotFound("The requested resource does not exist")
        return obj

    def object_of_id(self, record_id: str) -> ObjectDef | None:
        return self.schema.by_prefix(record_id[:3])

    def stamp(self) -> datetime:
        """The time of the current transaction's writes.

        Salesforce stamps one transaction once: every record a call writes shares its
        SystemModstamp, and stamps strictly increase from one transaction to the next.
        Giving each record its own millisecond instead would run the stamps ahead of
        real time under load, and cursor-based readers that stop at "now" would lag.
        """
        tx = self.db.transactions if self.db.in_transaction else -1
        if tx < 0 or tx != self._stamp_tx:
            self._stamp_tx = tx
            self._tx_stamp = self.clock.stamp()
        return self._tx_stamp

    def new_id(self, obj: ObjectDef) -> str:
        return ids.make_id(obj.key_prefix, self.pod, self.db.next_counter(obj.key_prefix))

    def _row(self, obj: ObjectDef, record_id: str) -> dict[str, Any] | None:
        with self.db.lock:
            cur = self.db.conn.execute(f'SELECT * FROM {q(obj.name)} WHERE "Id" = ?', (record_id,))
            row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def get(
        self,
        obj: ObjectDef,
        record_id: str,
        fields: Sequence[str] | None = None,
        *,
        api_version: str = "59.0",
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """One record in its JSON form; 404 when absent or in the recycle bin."""
        rid = canonical_id(record_id)
        if rid is None or rid[:3] != obj.key_prefix:
            raise NotFound()
        wanted = self._select_fields(obj, fields)
        cols = ", ".join(rollup_sql(obj, f, "t") if f.rollup else f"t.{q(f.name)}" for f in wanted)
        row = self.db.row(
            f'SELECT t."IsDeleted", {cols} FROM {q(obj.name)} t WHERE t."Id" = ?', (rid,)
        )
        if row is None or (row[0] and not include_deleted):
            raise NotFound()
        out: dict[str, Any] = {
            "attributes": {"type": obj.name, "url": record_url(api_version, obj.name, rid)}
        }
        for f, value in zip(wanted, row[1:], strict=True):
            out[f.name] = to_json(f, value)
        return out

    def _select_fields(self, obj: ObjectDef, fields: Sequence[str] | None) -> list[FieldDef]:
        if not fields:
            return list(obj.fields.values())
        out = []
        for name in fields:
            f = obj.field(name.strip())
            if f is None:
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"No such column '{name.strip()}' on sobject of type {obj.name}",
                )
            out.append(f)
        return out

    def find_by_field(self, obj: ObjectDef, field: FieldDef, value: Any) -> list[str]:
        """Ids of live records whose ``field`` equals ``value`` (case-insensitive for text)."""
        if field.type is FieldType.ID:
            stored = canonical_id(str(value))
            if stored is None:
                return []
        else:
            stored = to_stored(field, value)
        rows = self.db.rows(
            f'SELECT "Id" FROM {q(obj.name)} WHERE {q(field.name)} = ? AND "IsDeleted" = 0',
            (stored,),
        )
        return [r[0] for r in rows]

    def exists(
        self, record_id: str, include_deleted: bool = False
    ) -> tuple[ObjectDef, bool] | None:
        """(object, is_deleted) for an id, or None when no such record exists."""
        obj = self.object_of_id(record_id)
        if obj is None:
            return None
        row = self.db.row(f'SELECT "IsDeleted" FROM {q(obj.name)} WHERE "Id" = ?', (record_id,))
        if row is None:
            return None
        return obj, bool(row[0])

    # -- writes -----------------------------------------------------------------------

    def create(
        self, obj: ObjectDef, body: Mapping[str, Any], user_id: str, *, record_id: str | None = None
    ) -> str:
        """Insert a record; returns its new id. Raises RecordError on a validation failure."""
        if not obj.createable:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support insert"
            )
        values = checks.convert(obj, body, creating=True)
        for f in obj.defaulted_fields:
            if f.name not in values:
                values[f.name] = to_stored(f, f.default)
        if obj.field("OwnerId") is not None and not values.get("OwnerId"):
            values["OwnerId"] = user_id
        stamp = self.stamp()
        text = format_datetime(stamp)
        rid = record_id or self.new_id(obj)
        values.update(
            Id=rid,
            IsDeleted=0,
            CreatedDate=text,
            CreatedById=user_id,
            LastModifiedDate=text,
            LastModifiedById=user_id,
            SystemModstamp=text,
        )
        name = obj.field("Name") if obj.custom else None
        if name is not None and not name.auto_number and values.get("Name") is None:
            values["Name"] = rid
        derive(self, obj, values, None)
        checks.check_required(obj, values)
        checks.check_references(self, obj, values, user_id)
        check_rules(self, obj, values, None)
        checks.check_unique(self.db, obj, values, None)
        cols = tuple(values)
        self.db.conn.execute(insert_sql(obj.name, cols), [values[c] for c in cols])
        self._notify(Change(obj.name, rid, "CREATE", values, tuple(cols), user_id, stamp))
        return rid

    def update(self, obj: ObjectDef, record_id: str, body: Mapping[str, Any], user_id: str) -> None:
        """Update a live record; 404 when it does not exist, ENTITY_IS_DELETED when recycled."""
        if not obj.updateable:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support update"
            )
        rid = self._require_live(obj, record_id)
        current = self._row(obj, rid)
        assert current is not None
        values = checks.convert(obj, body, creating=False)
        stamp = self.stamp()
        text = format_datetime(stamp)
        merged = {**current, **values}
        derive(self, obj, merged, current)
        changes = {k: v for k, v in merged.items() if current.get(k) != v}
        checks.check_required(obj, merged)
        checks.check_references(self, obj, changes)
        check_rules(self, obj, merged, current)
        checks.check_unique(self.db, obj, changes, rid)
        changes.update(LastModifiedDate=text, LastModifiedById=user_id, SystemModstamp=text)
        cols = list(changes)
        self.db.conn.execute(
            f'UPDATE {q(obj.name)} SET {", ".join(q(c) + " = ?" for c in cols)} WHERE "Id" = ?',
            [*(changes[c] for c in cols), rid],
        )
        self._notify(Change(obj.name, rid, "UPDATE", changes, tuple(cols), user_id, stamp))

    def delete(self, obj: ObjectDef, record_id: str, user_id: str) -> None:
        """Move a record (and its master-detail children) to the recycle bin."""
        if not obj.deletable:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support delete"
            )
        rid = self._require_live(obj, record_id)
        self._soft_delete(obj, rid, user_id)

    def _soft_delete(self, obj: ObjectDef, rid: str, user_id: str) -> None:
        stamp = self.stamp()
        text = format_datetime(stamp)
        self.db.conn.execute(
            f'UPDATE {q(obj.name)} SET "IsDeleted" = 1, "SystemModstamp" = ?, '
            f'"LastModifiedById" = ? WHERE "Id" = ?',
            (text, user_id, rid),
        )
        self.db.conn.execute(
            "INSERT INTO _deleted (id, object, deleted_date) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET deleted_date = excluded.deleted_date",
            (rid, obj.name, text),
        )
        self._notify(Change(obj.name, rid, "DELETE", {}, (), user_id, stamp))
        for rel in obj.child_relationships:
            if not rel.cascade_delete:
                continue
            child = self.schema.get(rel.child_object)
            assert child is not None
            rows = self.db.conn.execute(
                f'SELECT "Id" FROM {q(child.name)} WHERE {q(rel.field)} = ? AND "IsDeleted" = 0',
                (rid,),
            ).fetchall()
            for (child_id,) in rows:
                self._soft_delete(child, child_id, user_id)

    def undelete(self, record_id: str, user_id: str) -> ObjectDef:
        """Restore a record from the recycle bin."""
        rid = canonical_id(record_id)
        found = self.exists(rid) if rid else None
        if rid is None or found is None:
            raise NotFound()
        obj, deleted = found
        if not deleted:
            raise SalesforceError("UNDELETE_FAILED", "Entity is not in the recycle bin")
        row = self._row(obj, rid)
        assert row is not None
        checks.check_unique(self.db, obj, {k: v for k, v in row.items() if k != "Id"}, rid)
        stamp = self.stamp()
        text = format_datetime(stamp)
        self.db.conn.execute(
            f'UPDATE {q(obj.name)} SET "IsDeleted" = 0, "SystemModstamp" = ?, '
            f'"LastModifiedDate" = ?, "LastModifiedById" = ? WHERE "Id" = ?',
            (text, text, user_id, rid),
        )
        self.db.conn.execute("DELETE FROM _deleted WHERE id = ?", (rid,))
        row.update(IsDeleted=0, SystemModstamp=text)
        self._notify(Change(obj.name, rid, "UNDELETE", row, tuple(row), user_id, stamp))
        return obj

    def hard_delete(self, obj: ObjectDef, record_id: str) -> None:
        """Remove a record for good (Bulk hardDelete, recycle-bin purge)."""
        self.db.conn.execute(f'DELETE FROM {q(obj.name)} WHERE "Id" = ?', (record_id,))
        self.db.conn.execute("DELETE FROM _deleted WHERE id = ?", (record_id,))

    def purge_recycle_bin(self) -> int:
        """Hard-delete what has been in the recycle bin longer than 15 days."""
        cutoff = format_datetime(self.clock.now() - timedelta(days=RECYCLE_BIN_DAYS))
        rows = self.db.conn.execute(
            "SELECT id, object FROM _deleted WHERE deleted_date < ?", (cutoff,)
        ).fetchall()
        for rid, name in rows:
            obj = self.schema.get(name)
            if obj is not None:
                self.hard_delete(obj, rid)
        return len(rows)

    # -- windows (getUpdated / getDeleted) --------------------------------------------

    def updated_ids(self, obj: ObjectDef, start: str, end: str) -> list[str]:
        rows = self.db.rows(
            f'SELECT "Id" FROM {q(obj.name)} WHERE "SystemModstamp" >= ? '
            f'AND "SystemModstamp" < ? AND "IsDeleted" = 0 ORDER BY "SystemModstamp"',
            (start, end),
        )
        return [r[0] for r in rows]

    def deleted_records(self, obj: ObjectDef, start: str, end: str) -> list[tuple[str, str]]:
        return [
            (r[0], r[1])
            for r in self.db.rows(
                "SELECT id, deleted_date FROM _deleted WHERE object = ? AND deleted_date >= ? "
                "AND deleted_date < ? ORDER BY deleted_date",
                (obj.name, start, end),
            )
        ]

    def count(self, obj: ObjectDef) -> int:
        row = self.db.row(f'SELECT COUNT(*) FROM {q(obj.name)} WHERE "IsDeleted" = 0')
        return int(row[0])

    # -- checks -----------------------------------------------------------------------

    def _require_live(self, obj: ObjectDef, record_id: str) -> str:
        rid = canonical_id(record_id)
        if rid is None or rid[:3] != obj.key_prefix:
            if rid is None:
                raise SalesforceError("MALFORMED_ID", f"Malformed id: {record_id}", status=400)
            raise NotFound(
                f"Provided external ID field does not exist or is not accessible: {record_id}"
            )
        found = self.exists(rid)
        if found is None:
            raise NotFound()
        if found[1]:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", status=404)
        return rid

    def _notify(self, change: Change) -> None:
        for listener in self.listeners:
            listener(change)


def record_url(api_version: str, object_name: str, record_id: str) -> str:
    return f"/services/data/v{api_version}/sobjects/{object_name}/{record_id}"


def canonical_id(record_id: str) -> str | None:
    """The 18-character form of an id, or None when it is not id-shaped."""
    try:
        return ids.to18(record_id)
    except ValueError:
        return None
