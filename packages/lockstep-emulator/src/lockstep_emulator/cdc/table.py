"""The change log's table, written in the transaction of the changes it records.

An event exists if and only if its write committed, since the recorder writes it
inside that write's transaction. A row is a *block*: consecutive events of one entity
in one transaction (up to ``BLOCK``), keyed by its last replay id, because one INSERT
per event would cost a Bulk load a third of its speed. Within a block replay ids are
consecutive; between transactions they skip.

Replay ids only grow, and the log is always a suffix of history: retention removes
whole blocks from the front and remembers where it stopped (``cdc:purged_through`` in
``_meta``), so "every event after replay id N" is exact whenever N is still past that
point, and an error otherwise.

Readers use their own WAL connection: a long write (a Bulk batch) never blocks them,
and they only ever see committed events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import orjson

from lockstep_emulator.cdc.events import ChangeEvent, LoggedChange, to_event
from lockstep_emulator.schema.model import Schema
from lockstep_emulator.store.db import Database

if TYPE_CHECKING:
    from lockstep_emulator.org import Org

RETENTION = timedelta(hours=72)
FLOOR_KEY = "cdc:purged_through"

BLOCK = 1000  # events per row at most

_TABLE = (
    "CREATE TABLE IF NOT EXISTS _change_events (last_id INTEGER PRIMARY KEY, "
    "first_id INTEGER NOT NULL, entity TEXT NOT NULL, commit_ms INTEGER NOT NULL, "
    "events BLOB NOT NULL)"
)
_BY_ENTITY = (
    "CREATE INDEX IF NOT EXISTS ix_change_events_entity ON _change_events (entity, last_id)"
)
_INSERT = "INSERT INTO _change_events VALUES (?, ?, ?, ?, ?)"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def create(db: Database) -> None:
    """Create the table (and its index) if this org has none yet."""
    with db.transaction() as conn:
        conn.execute(_TABLE)
        conn.execute(_BY_ENTITY)


def encode(event: LoggedChange) -> bytes:
    """One event as its block stores it, encoded at once so later changes to the
    values dict cannot reach it."""
    return orjson.dumps(tuple(event), default=_plain)


def insert_block(conn: sqlite3.Connection, first: LoggedChange, events: Sequence[bytes]) -> None:
    """Write consecutive events of one entity in one transaction (``first`` is the
    first of them) as one row.

    This is on the path of every write the org takes, Bulk included, so a block
    costs one INSERT for up to ``BLOCK`` events, not one per event.
    """
    last_id = first.replay_id + len(events) - 1
    blob = b"[" + b",".join(events) + b"]"
    conn.execute(_INSERT, (last_id, first.replay_id, first.entity, first.commit_ms, blob))


def _plain(value: object) -> object:
    """What orjson cannot encode itself: a values Mapping that is not a dict."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


@dataclass(frozen=True)
class Bounds:
    """What a replay id can ask for: events after ``floor`` remain, up to ``latest``."""

    floor: int  # the last replay id retention removed (0: none yet)
    latest: int  # the newest replay id committed (``floor`` when none remain)

    def valid(self, replay_id: int) -> bool:
        """True when the event ``replay_id`` names is still retained.

        An id at or below the floor names an event that has expired, and an id past
        the latest was never issued here (another org, or a log that was reset).
        """
        return self.floor < replay_id <= self.latest


class LogReader:
    """Reads committed events on a connection of its own."""

    def __init__(self, db: Database) -> None:
        self._conn = db.read_connection()
        self._schema = db.schema

    def after(self, replay_id: int, entity: str | None, limit: int) -> list[ChangeEvent]:
        """Up to ``limit`` events with a replay id above ``replay_id``, oldest first."""
        return _select(self._conn, self._schema, replay_id, entity, limit)

    def bounds(self) -> Bounds:
        return _bounds(self._conn)

    def close(self) -> None:
        self._conn.close()


def purge(db: Database, now: datetime) -> int:
    """Remove events older than the retention period; how many went."""
    cutoff = to_ms(now - RETENTION)
    with db.lock:
        # Commit times grow with replay ids, so this walks the expired rows only.
        kept = db.conn.execute(
            "SELECT last_id FROM _change_events WHERE commit_ms >= ? ORDER BY last_id LIMIT 1",
            (cutoff,),
        ).fetchone()
        below = "" if kept is None else " WHERE last_id < ?"
        row = db.conn.execute(
            "SELECT MAX(last_id) FROM _change_events" + below, () if kept is None else kept
        ).fetchone()
    if row[0] is None:
        return 0
    return expire_through(db, int(row[0]))


def expire_through(db: Database, replay_id: int | None = None) -> int:
    """Remove the events up to ``replay_id`` (all when None), as retention would, and
    the rest of the transaction ``replay_id`` is in; how many events went."""
    with db.transaction() as conn:
        where, params = ("", ()) if replay_id is None else (" WHERE first_id <= ?", (replay_id,))
        through = conn.execute(
            f"SELECT MAX(last_id) FROM _change_events{where}", params
        ).fetchone()[0]
        if through is None:
            return 0
        removed = conn.execute(  # a block's replay ids are consecutive
            "SELECT SUM(last_id - first_id + 1) FROM _change_events WHERE last_id <= ?",
            (through,),
        ).fetchone()[0]
        conn.execute("DELETE FROM _change_events WHERE last_id <= ?", (through,))
        if through > int(db.get_meta(FLOOR_KEY) or "0"):
            db.set_meta(FLOOR_KEY, str(through))
    return int(removed)


def forget_all(conn: sqlite3.Connection) -> None:
    """After a sandbox refresh: the new org's event bus starts empty, and no replay id
    from before names anything in it (a stored one gets the replay error)."""
    bounds = _bounds(conn)
    conn.execute("DELETE FROM _change_events")
    conn.execute(
        "INSERT INTO _meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (FLOOR_KEY, str(bounds.latest)),
    )


def read_events(
    org: Org, after: int = 0, entity: str | None = None, limit: int | None = None
) -> list[ChangeEvent]:
    """The committed events of ``org`` after replay id ``after``: for lockstep's own
    code and tests, in process. ``entity`` keeps one object's events only."""
    conn = org.db.read_connection()
    try:
        return _select(conn, org.db.schema, after, entity, -1 if limit is None else limit)
    finally:
        conn.close()


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _select(
    conn: sqlite3.Connection, schema: Schema, after: int, entity: str | None, limit: int
) -> list[ChangeEvent]:
    """Up to ``limit`` (-1: all) events after ``after``, reading blocks only as needed."""
    where = "last_id > ?" + (" AND entity = ?" if entity is not None else "")
    params: tuple[object, ...] = (after, entity) if entity is not None else (after,)
    out: list[ChangeEvent] = []
    cursor = conn.execute(
        f"SELECT events FROM _change_events WHERE {where} ORDER BY last_id", params
    )
    try:
        for (blob,) in cursor:
            for item in orjson.loads(blob):
                if item[0] <= after:
                    continue
                item[3] = tuple(item[3])  # record ids
                logged = LoggedChange._make(item)
                out.append(to_event(logged, schema.get(logged.entity)))
                if len(out) == limit:
                    return out
    finally:
        cursor.close()
    return out


def _bounds(conn: sqlite3.Connection) -> Bounds:
    meta = conn.execute("SELECT value FROM _meta WHERE key = ?", (FLOOR_KEY,)).fetchone()
    floor = int(meta[0]) if meta is not None else 0
    newest = conn.execute("SELECT MAX(last_id) FROM _change_events").fetchone()[0]
    return Bounds(floor, max(floor, int(newest) if newest is not None else 0))
