"""Moving the org's clock: SOQL date literals follow it, the recycle bin empties after
15 days, tokens expire on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from lockstep_emulator.admin_client import AdminClient, AdminRefused
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess
from lockstep_emulator.store.layout import parse_datetime
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

LoginTo = Callable[[EmulatorInfo], Salesforce]


def count(sf: Salesforce, where: str) -> int:
    return int(sf.query(f"SELECT COUNT() FROM Account WHERE {where}")["totalSize"])


def test_the_clock_moves_date_literals_retention_and_tokens(
    fresh_emulator: EmulatorProcess, login_to: LoginTo
) -> None:
    info = fresh_emulator.info
    sf = login_to(info)
    kept = sf.Account.create({"Name": "Kept"})["id"]
    binned = sf.Account.create({"Name": "Binned"})["id"]
    sf.Account.delete(binned)
    assert count(sf, "CreatedDate = TODAY") == 1
    admin = AdminClient.for_info(info)
    start = admin.clock()
    assert start["offset_seconds"] == 0

    moved = admin.advance_clock(advance_days=2, advance_hours=1)
    assert moved["offset_seconds"] == 2 * 86400 + 3600 and moved["purged"] == 0
    gap = parse_datetime(moved["now"]) - parse_datetime(start["now"])
    assert timedelta(days=2, hours=1) <= gap < timedelta(days=2, hours=1, minutes=1)

    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")  # a 2-hour token does not live 2 days
    later = login_to(info)
    assert count(later, "CreatedDate = TODAY") == 0
    assert count(later, "CreatedDate = LAST_N_DAYS:3") == 1
    newer = later.Account.create({"Name": "Later"})["id"]
    created = {r["Id"]: parse_datetime(r["CreatedDate"]) for r in later.query_all(
        "SELECT Id, CreatedDate FROM Account", include_deleted=True)["records"]}  # fmt: skip
    assert created[newer] - created[kept] >= timedelta(days=2)
    assert len(later.query_all("SELECT Id FROM Account", include_deleted=True)["records"]) == 3

    admin = AdminClient.for_info(info)
    assert admin.advance_clock(advance_days=14)["purged"] == 1  # 16 days in the bin
    latest = login_to(info)
    ids = {r["Id"] for r in latest.query_all("SELECT Id FROM Account", True)["records"]}
    assert ids == {kept, newer}


def test_the_clock_refuses_to_go_back(admin: AdminClient) -> None:
    with pytest.raises(AdminRefused) as caught:
        admin.advance_clock(advance_hours=-1, advance_weeks=1)
    assert caught.value.status == 400
    assert caught.value.message == (
        "INVALID_FIELD: advance_hours: Input should be greater than or equal to 0; "
        "INVALID_FIELD: advance_weeks: unknown field"
    )
