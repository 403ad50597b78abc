"""One emulated org: its settings, schema, database, record store and clock.

On first open the org is bootstrapped: an org id, the ``Organization`` row, the
integration user that every session acts as, and the standard price book. These are
kept in the database, so a restart with the same data directory is the same org.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from lockstep_emulator import ids
from lockstep_emulator.clock import Clock
from lockstep_emulator.schema.build import build_schema, merge
from lockstep_emulator.schema.builtins import BUILTINS
from lockstep_emulator.schema.loader import load_schema_file
from lockstep_emulator.schema.model import Schema
from lockstep_emulator.store import Database, RecordStore
from lockstep_emulator.store.layout import format_datetime, insert_sql, parse_datetime

MIN_API_VERSION = 31
MAX_API_VERSION = 66


@dataclass(frozen=True)
class Credentials:
    """What clients log in with. Generated when not given; printed at start-up."""

    username: str = "admin@lockstep.emulator"
    password: str = "lockstep-emulator"
    security_token: str = ""
    client_id: str = "lockstep-emulator-client"
    client_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    refresh_token: str = field(default_factory=lambda: "5Aep" + secrets.token_urlsafe(32))


@dataclass(frozen=True)
class OrgSettings:
    """Everything about an org that is not its data."""

    credentials: Credentials = field(default_factory=Credentials)
    token_ttl: timedelta = timedelta(hours=2)
    daily_api_limit: int = 15_000_000
    org_name: str = "lockstep emulator"
    is_sandbox: bool = False
    schema_file: Path | None = None


def api_versions() -> list[str]:
    return [f"{v}.0" for v in range(MIN_API_VERSION, MAX_API_VERSION + 1)]


class Org:
    """The state behind every route: settings, schema, store, clock, ids of the org."""

    def __init__(self, settings: OrgSettings, data_dir: Path | None) -> None:
        self.settings = settings
        extra = load_schema_file(settings.schema_file) if settings.schema_file else []
        self.schema: Schema = build_schema(merge(BUILTINS, extra))
        self.db = Database(data_dir, self.schema)
        last_ms = int(self.db.get_meta("clock:last_stamp_ms") or "0")
        newest = self.db.last_modstamp()
        if newest is not None:
            last_ms = max(last_ms, int(parse_datetime(newest).timestamp() * 1000))
        offset = timedelta(milliseconds=int(self.db.get_meta("clock:offset_ms") or "0"))
        self.clock = Clock(offset, last_ms)
        pod = self.db.get_meta("org:pod")
        if pod is None:
            pod = secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + secrets.choice("0123456789")
        self.store = RecordStore(self.db, self.clock, pod)
        self.org_id: str = self.db.get_meta("org:id") or ""
        self.user_id: str = self.db.get_meta("org:user_id") or ""
        if not self.org_id:
            self._bootstrap(pod)
        with self.db.transaction():
            self.store.purge_recycle_bin()

    def _bootstrap(self, pod: str) -> None:
        s = self.settings
        schema = self.schema
        with self.db.transaction():
            self.db.set_meta("org:pod", pod)
            org_obj = schema.get("Organization")
            user_obj = schema.get("User")
            assert org_obj is not None and user_obj is not None
            self.org_id = ids.make_id(org_obj.key_prefix, pod, self.db.next_counter("00D"))
            self.user_id = self.store.new_id(user_obj)
            self.db.set_meta("org:id", self.org_id)
            self.db.set_meta("org:user_id", self.user_id)
            name = s.credentials.username.split("@")[0]
            self._insert_raw(
                user_obj.name,
                self.user_id,
                {
                    "Username": s.credentials.username,
                    "LastName": "User",
                    "FirstName": "Integration",
                    "Name": "Integration User",
                    "Email": s.credentials.username
                    if "@" in s.credentials.username
                    else f"{name}@example.com",
                    "Alias": name[:8] or "admin",
                    "IsActive": 1,
                    "TimeZoneSidKey": "GMT",
                    "LocaleSidKey": "en_US",
                    "LanguageLocaleKey": "en_US",
                },
            )
            self._insert_raw(
                org_obj.name,
                self.org_id,
                {
                    "Name": s.org_name,
                    "IsSandbox": int(s.is_sandbox),
                    "OrganizationType": "Developer Edition",
                    "InstanceName": "EMU1",
                    "LanguageLocaleKey": "en_US",
                    "TimeZoneSidKey": "GMT",
                    "DefaultLocaleSidKey": "en_US",
                    "PrimaryContact": "Integration User",
                },
            )
            pricebook = schema.get("Pricebook2")
            if pricebook is not None:
                self._insert_raw(
                    pricebook.name,
                    self.store.new_id(pricebook),
                    {
                        "Name": "Standard Price Book",
                        "IsActive": 1,
                        "IsStandard": 1,
                        "OwnerId": self.user_id,
                    },
                )

    def _insert_raw(self, object_name: str, record_id: str, values: dict[str, object]) -> None:
        """Write a system-owned row directly (no create permissions apply to these)."""
        text = format_datetime(self.clock.stamp())
        row = {
            "Id": record_id,
            "IsDeleted": 0,
            "CreatedDate": text,
            "CreatedById": self.user_id,
            "LastModifiedDate": text,
            "LastModifiedById": self.user_id,
            "SystemModstamp": text,
            **values,
        }
        cols = tuple(row)
        self.db.conn.execute(insert_sql(object_name, cols), [row[c] for c in cols])

    @property
    def is_sandbox(self) -> bool:
        return self.settings.is_sandbox

    def close(self) -> None:
        """Persist the clock and close the database (flushing the WAL)."""
        with self.db.transaction():
            self.db.set_meta("clock:last_stamp_ms", str(self.clock.last_stamp_ms))
            self.db.set_meta("clock:offset_ms", str(int(self.clock.offset.total_seconds() * 1000)))
        self.db.close()
