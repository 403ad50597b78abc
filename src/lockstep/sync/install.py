"""Capture is installed once, then only checked.

Installing trigger capture is DDL on the application's tables, and DDL takes locks
the application's own writes wait for (on PostgreSQL, run at every pass, it
deadlocked with them; on SQLite it needs the write lock). So a binding's capture is
installed at its first pass and recorded in the ledger (``ls_meta``): the digest of
what was run and of lockstep's triggers as the catalog showed them after. Every later
pass only reads the catalog and compares, which takes no lock.

What a pass does (``verdict``, pure)::

    recorded  catalog now         cursor  →
    none      none                none    install (the first pass)
    none      some                any     install (an earlier lockstep's triggers,
                                          installed again once, then recorded)
    none      none                some    broken: the triggers are gone
    some      = recorded          any     ok; install if lockstep's triggers changed
                                          (an upgrade: installed once)
    some      none or different   any     broken: dropped, disabled, replaced, or
                                          (MariaDB) the table truncated or rebuilt

Broken capture is never repaired in silence: changes may have been missed, so that
binding stops with ``CaptureBroken`` (the others go on) until someone runs a pass
with ``repair`` (``lockstep sync --once --repair-capture``), which installs again,
and then ``lockstep reconcile --apply``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from lockstep.connectors.base import CaptureCheck, CaptureSpec, Connector
from lockstep.errors import CaptureBroken
from lockstep.ledger import Ledger

Verdict = Literal["ok", "install", "missing", "changed"]


@dataclass(frozen=True)
class Installed:
    """What the ledger recorded when capture of one object was installed."""

    wanted: str
    found: str | None

    @classmethod
    def of(cls, value: Any) -> Installed | None:
        if not isinstance(value, dict):
            return None
        return cls(str(value.get("wanted")), value.get("found"))


def verdict(
    check: CaptureCheck, recorded: Installed | None, has_cursor: bool, repair: bool
) -> Verdict:
    """What to do about one object's capture (the table in the module docstring)."""
    if repair:
        return "install"
    if recorded is None:
        if check.found is None and has_cursor:
            return "missing"
        return "install"
    if check.found is None:
        return "missing"
    if check.found != recorded.found:
        return "changed"
    return "ok" if check.wanted == recorded.wanted else "install"


def ensure(
    connector: Connector,
    ledger: Ledger,
    system: str,
    obj: str,
    spec: CaptureSpec,
    *,
    repair: bool = False,
) -> bool:
    """Make sure capture of ``obj`` is in place; True when it was installed now.
    ``CaptureBroken`` when it is not what was installed."""
    check = connector.inspect_capture(obj, spec)
    if check is None:
        return False
    key = setting_key(system, obj)
    recorded = Installed.of(ledger.setting(key))
    found = verdict(check, recorded, ledger.cursor(system, obj) is not None, repair)
    if found == "ok":
        return False
    if found == "missing":
        raise CaptureBroken(system, f"lockstep's capture triggers on {obj} are gone")
    if found == "changed":
        raise CaptureBroken(
            system,
            f"lockstep's capture triggers on {obj} are not as installed (one was dropped, "
            "disabled or replaced, or, on MariaDB, the table was truncated or rebuilt)",
        )
    connector.install_capture(obj, spec)
    after = connector.inspect_capture(obj, spec)
    installed = after if after is not None else check
    ledger.put_setting(key, {"wanted": installed.wanted, "found": installed.found})
    return True


def setting_key(system: str, obj: str) -> str:
    """The ``ls_meta`` key of ``obj``'s capture in ``system`` (at most 100 characters)."""
    key = f"capture:{system}:{obj}"
    if len(key) <= 100:
        return key
    return "capture:" + hashlib.sha256(key.encode()).hexdigest()
