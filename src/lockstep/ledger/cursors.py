"""Capture cursors: where reading each object's changes resumes. Saved in the same
transaction as the changes they follow, so a crash neither skips nor repeats them."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from lockstep.ledger.base import LedgerBase, upsert
from lockstep.ledger.tables import cursors


class CursorStore(LedgerBase):
    def cursor(self, system: str, obj: str, *, conn: Connection | None = None) -> str | None:
        """Where capture of ``obj`` in ``system`` resumes; ``None`` before the first."""
        stmt = select(cursors.c.cursor).where(cursors.c.system == system, cursors.c.object == obj)
        with self._read(conn) as c:
            return c.scalar(stmt)

    def save_cursor(
        self, system: str, obj: str, cursor: str, *, conn: Connection | None = None
    ) -> None:
        """Remember ``cursor`` for ``obj`` in ``system``; pass the ``conn`` that stores
        the captured changes, so both commit together."""
        row = {"system": system, "object": obj, "cursor": cursor, "updated_at": self.now()}
        with self._write(conn) as c:
            upsert(c, cursors, row, keys=("system", "object"), update=("cursor", "updated_at"))

    def drop_cursors(self, system: str, *, conn: Connection | None = None) -> int:
        """Forget every cursor of ``system`` (capture starts over); how many."""
        with self._write(conn) as c:
            return c.execute(delete(cursors).where(cursors.c.system == system)).rowcount
