"""Capture is installed at the first pass, checked after, and never reinstalled in
silence: ``sync.install.verdict`` over every case of its table."""

from __future__ import annotations

import pytest

from lockstep.connectors.base import CaptureCheck
from lockstep.sync.install import Installed, verdict

NOW = CaptureCheck("ddl-1", "catalog-1")
RECORDED = Installed("ddl-1", "catalog-1")


@pytest.mark.parametrize(
    ("check", "recorded", "has_cursor", "expected"),
    [
        (CaptureCheck("ddl-1", None), None, False, "install"),  # the first pass
        (NOW, None, True, "install"),  # an earlier lockstep's triggers: once, then recorded
        (CaptureCheck("ddl-1", None), None, True, "missing"),  # gone before the upgrade
        (NOW, RECORDED, True, "ok"),
        (CaptureCheck("ddl-2", "catalog-1"), RECORDED, True, "install"),  # lockstep's changed
        (CaptureCheck("ddl-1", None), RECORDED, True, "missing"),
        (CaptureCheck("ddl-1", "catalog-2"), RECORDED, True, "changed"),
        (CaptureCheck("ddl-2", "catalog-2"), RECORDED, True, "changed"),
    ],
)
def test_verdict(
    check: CaptureCheck, recorded: Installed | None, has_cursor: bool, expected: str
) -> None:
    assert verdict(check, recorded, has_cursor, repair=False) == expected


def test_repair_installs_whatever_was_found() -> None:
    for found in (None, "catalog-1", "catalog-2"):
        assert verdict(CaptureCheck("ddl-1", found), RECORDED, True, repair=True) == "install"


def test_what_the_ledger_holds_is_read_back() -> None:
    assert Installed.of({"wanted": "a", "found": None}) == Installed("a", None)
    assert Installed.of(None) is None
