"""MariaDB capture: a change table and three row triggers per table.

Each ``CREATE TRIGGER`` is sent as one statement (a ``BEGIN ... END`` body needs no
``DELIMITER``: that is a client-side notion). ``CREATE OR REPLACE`` makes installing
idempotent; MariaDB lets these sit beside the application's own triggers. Trigger DDL
waits for the table's metadata lock, so it is sent with a short ``lock_wait_timeout``
and only when installing, never at every pass.

**Every update is recorded**, whatever columns it changed: a trigger that compared
the watched columns (``CaptureNames.watched``) would name them, and MariaDB lets the
application drop such a column and then fails each of its updates of the table.

**Late commits.** Auto-increment ids are handed out at insert, not at commit: a
transaction can take id 10 and commit after id 11 was read. The cursor therefore
keeps the *holes*: ids below the highest one read that were not there (in any table's
rows) when it was read, each with the time it was first seen missing. Every read
takes ``id > high OR id IN (holes)`` (at ``READ COMMITTED``), so a late commit is read
when it lands. A hole is dropped once some row fills it, or once it is older than
``HOLE_AGE_SECONDS`` and a ``LOCK IN SHARE MODE NOWAIT`` read of it finds neither a
row nor a lock: no open transaction holds that id, so it was rolled back (or never
used). Holes are kept as runs of consecutive ids (a large open transaction leaves
thousands), read with a ``BETWEEN`` per run. Cursors are ``"<high>"`` (the earlier
form, still read) or ``"<high>|<first>-<last>@<seen>,<id>@<seen>,..."``.

**TRUNCATE** fires no trigger. It gives the InnoDB table a new id, which the check
before every pass reads (``information_schema.INNODB_SYS_TABLES``, where the
account may read it), so a truncated table is reported as broken capture rather
than missed in silence; a table rebuild (``OPTIMIZE``, a copying ``ALTER``) reads the
same way. Where that view cannot be read, a truncate goes unseen until ``reconcile``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.capture.names import CaptureNames, bare, literal
from lockstep.connectors.sql.capture.page import Page

HOLE_AGE_SECONDS = 1.0
PROBES = 32  # locking reads of aged holes, at most, per read
LOCK_WAIT = "SET STATEMENT lock_wait_timeout = 2 FOR "


def install(names: CaptureNames) -> list[list[str]]:
    """The install, as transactions (one here)."""
    table = literal(names.table)
    row = f"INSERT INTO {names.changes} (table_name, op, pk, captured_at) VALUES ({table}"
    now = "UTC_TIMESTAMP(6)"
    return [
        [
            f"""CREATE TABLE IF NOT EXISTS {names.changes} (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            table_name VARCHAR(255) NOT NULL,
            op CHAR(1) NOT NULL,
            pk VARCHAR(1024) NOT NULL,
            captured_at DATETIME(6) NOT NULL,
            KEY {names.changes_index} (table_name, id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin""",
            f"{LOCK_WAIT}CREATE OR REPLACE TRIGGER {names.prefix}{names.insert} "
            f"AFTER INSERT ON {names.target} "
            f"FOR EACH ROW {row}, 'I', CAST(NEW.{names.key} AS CHAR), {now})",
            f"""{LOCK_WAIT}CREATE OR REPLACE TRIGGER {names.prefix}{names.update}
        AFTER UPDATE ON {names.target}
        FOR EACH ROW BEGIN
            IF NOT (OLD.{names.key} <=> NEW.{names.key}) THEN
                {row}, 'D', CAST(OLD.{names.key} AS CHAR), {now});
            END IF;
            {row}, 'U', CAST(NEW.{names.key} AS CHAR), {now});
        END""",
            f"{LOCK_WAIT}CREATE OR REPLACE TRIGGER {names.prefix}{names.delete} "
            f"AFTER DELETE ON {names.target} "
            f"FOR EACH ROW {row}, 'D', CAST(OLD.{names.key} AS CHAR), {now})",
        ]
    ]


def remove(names: CaptureNames) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {names.prefix}{trigger}"
        for trigger in (names.insert, names.update, names.delete)
    ]


def catalog(conn: Connection, names: CaptureNames) -> list[tuple[Any, ...]] | None:
    """lockstep's triggers on the table as ``information_schema.TRIGGERS`` shows
    them, and the table's InnoDB id; ``None`` when there is no trigger of ours."""
    schema = bare(names.prefix[:-1]) if names.prefix else None
    ours = [bare(t) for t in (names.insert, names.update, names.delete)]
    params = {"schema": schema, "table": names.table, "ours": ours}
    triggers = sa.text(
        """SELECT TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING, ACTION_STATEMENT
        FROM information_schema.TRIGGERS
        WHERE TRIGGER_SCHEMA = COALESCE(:schema, DATABASE()) AND EVENT_OBJECT_TABLE = :table
          AND TRIGGER_NAME IN :ours
        ORDER BY TRIGGER_NAME"""
    ).bindparams(sa.bindparam("ours", expanding=True))
    rows: list[tuple[Any, ...]] = [tuple(r) for r in conn.execute(triggers, params)]
    if not rows:
        return None
    identity = sa.text(
        """SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES
        WHERE NAME = CONCAT(COALESCE(:schema, DATABASE()), '/', :table)"""
    )
    try:
        with conn.begin_nested():
            rows += [("table_id", *r) for r in conn.execute(identity, params)]
    except sa.exc.DBAPIError:
        pass  # not readable by this account: a truncate is not detected
    return rows


# -- reading ----------------------------------------------------------------------------


def parse(cursor: str | None) -> tuple[int, dict[int, float]]:
    """``(high, {hole: first seen})``; ``ValueError`` when not one of ours."""
    if not cursor:
        return 0, {}
    head, _, tail = cursor.partition("|")
    holes = {}
    for item in filter(None, tail.split(",")):
        span, _, seen = item.partition("@")
        first, _, last = span.partition("-")
        for hole in range(int(first), int(last or first) + 1):
            holes[hole] = float(seen)
    return int(head), holes


def render(high: int, holes: dict[int, float]) -> str:
    """The cursor: consecutive holes first seen together are written as a run."""
    if not holes:
        return str(high)
    items = []
    for first, last in _runs(sorted(holes), holes):
        span = str(first) if first == last else f"{first}-{last}"
        items.append(f"{span}@{holes[first]:.3f}")
    return f"{high}|" + ",".join(items)


def _runs(ids: list[int], seen: dict[int, float] | None = None) -> list[tuple[int, int]]:
    """Sorted ``ids`` as ``(first, last)`` runs of consecutive ids (with ``seen``, of
    the same first-seen time too)."""
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1 and (seen is None or seen[i] == seen[runs[-1][0]]):
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _among(ids: list[int]) -> tuple[str, dict[str, int]]:
    """``id`` among sorted ``ids``, as SQL: a ``BETWEEN`` per run, so a large open
    transaction's thousands of holes make a short statement."""
    terms, params = [], {}
    for n, (first, last) in enumerate(_runs(ids)):
        if first == last:
            terms.append(f"id = :h{n}")
            params[f"h{n}"] = first
        else:
            terms.append(f"id BETWEEN :h{n} AND :t{n}")
            params[f"h{n}"], params[f"t{n}"] = first, last
    return "(" + " OR ".join(terms) + ")", params


def pending(
    conn: Connection, names: CaptureNames, table: str, cursor: str | None, limit: int
) -> Page:
    """Up to ``limit`` change rows of ``table`` after ``cursor``: the holes that
    filled, then the rows above ``high``, in id order. ``conn`` reads at
    ``READ COMMITTED``."""
    high, holes = parse(cursor)
    now = _now(conn) if holes else 0.0
    for hole in _gone(
        conn, names, [h for h, seen in holes.items() if now - seen >= HOLE_AGE_SECONDS]
    ):
        del holes[hole]
    params: dict[str, Any] = {"table": table, "high": high, "limit": limit}
    late = ""
    if holes:
        among, more = _among(sorted(holes))
        late, params = f" OR {among}", {**params, **more}
    statement = sa.text(
        f"SELECT id, op, pk FROM {names.changes} WHERE table_name = :table "
        f"AND (id > :high{late}) ORDER BY id LIMIT :limit"
    )
    rows = [(int(i), str(op), str(pk)) for i, op, pk in conn.execute(statement, params)]
    full = len(rows) == limit
    reach = rows[-1][0] if full else None  # rows beyond it were not looked at
    top = max([high, *(r[0] for r in rows)])
    seen_now = {r[0] for r in rows}
    looked = sorted(h for h in holes if h not in seen_now and (reach is None or h < reach))
    filled = _present(conn, names, looked) if looked else set()
    holes = {h: t for h, t in holes.items() if h not in seen_now and h not in filled}
    new = [i for i in _missing(conn, names, high, top) if i not in seen_now]
    if new:
        now = now or _now(conn)
        holes.update(dict.fromkeys(new, now))
    after = render(top, holes)
    return Page(rows, after if (cursor or rows) else cursor, full)


def _present(conn: Connection, names: CaptureNames, ids: list[int]) -> set[int]:
    """Those of sorted ``ids`` present in the change table (any table's rows)."""
    among, params = _among(ids)
    statement = sa.text(f"SELECT id FROM {names.changes} WHERE {among}")
    return {int(i) for i in conn.execute(statement, params).scalars()}


def _missing(conn: Connection, names: CaptureNames, high: int, top: int) -> list[int]:
    """The ids in ``(high, top]`` no row holds (any table's); ``top`` is one that
    does. The gaps are found in the database: only they come back."""
    if top <= high:
        return []
    gaps = conn.execute(
        sa.text(
            f"""SELECT prev, id FROM (
                SELECT id, COALESCE(LAG(id) OVER (ORDER BY id), :high) AS prev
                FROM {names.changes} WHERE id > :high AND id <= :top) s
            WHERE id > prev + 1"""
        ),
        {"high": high, "top": top},
    )
    return [i for prev, id_ in gaps for i in range(int(prev) + 1, int(id_))]


def _gone(conn: Connection, names: CaptureNames, holes: list[int]) -> list[int]:
    """Those of ``holes`` with no row and no lock: no open transaction holds them.
    All at once; when one is locked, by halves, at most ``PROBES`` statements a
    read (a hole kept a while longer costs nothing but a look)."""
    budget = [PROBES]

    def absent(ids: list[int]) -> list[int] | None:
        budget[0] -= 1
        among, params = _among(ids)
        statement = sa.text(
            f"SELECT id FROM {names.changes} WHERE {among} LOCK IN SHARE MODE NOWAIT"
        )
        try:
            with conn.begin_nested():
                found = {int(i) for i in conn.execute(statement, params).scalars()}
        except sa.exc.DBAPIError:
            return None  # one is locked: its transaction is still open
        return [h for h in ids if h not in found]

    def probe(ids: list[int]) -> list[int]:
        if not ids or budget[0] <= 0:
            return []
        found = absent(ids)
        if found is not None:
            return found
        if len(ids) == 1:
            return []
        half = len(ids) // 2
        return probe(ids[:half]) + probe(ids[half:])

    return probe(sorted(holes))


def _now(conn: Connection) -> float:
    return float(conn.execute(sa.text("SELECT UNIX_TIMESTAMP(NOW(6))")).scalar_one())
