"""Small named settings the ledger keeps for lockstep (pauses, breakers, the ledger's
own facts): one value per key, any value ``codec`` stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select

from lockstep.ledger.base import LedgerBase, upsert
from lockstep.ledger.tables import meta


class SettingStore(LedgerBase):
    def setting(self, key: str, *, conn: Connection | None = None) -> Any:
        """The setting ``key`` (any ``codec`` value); ``None`` when unset."""
        with self._read(conn) as c:
            return c.scalar(select(meta.c.value).where(meta.c.key == key))

    def put_setting(self, key: str, value: Any, *, conn: Connection | None = None) -> None:
        """Set ``key`` to ``value``; ``None`` removes it."""
        with self._write(conn) as c:
            if value is None:
                c.execute(delete(meta).where(meta.c.key == key))
                return
            row = {"key": key, "value": value, "updated_at": self.now()}
            upsert(c, meta, row, keys=("key",), update=("value", "updated_at"))
