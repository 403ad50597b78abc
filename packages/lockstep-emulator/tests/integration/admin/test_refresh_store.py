"""The refresh in SQL: thousands of rows quickly, one transaction, hooks inside it."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest
from lockstep_emulator.org import Org, OrgSettings
from lockstep_emulator.store.refresh import MAP, refresh

ROWS = 3000


@pytest.fixture
def org() -> Iterator[Org]:
    org = Org(OrgSettings(), None)
    account, contact = org.schema.get("Account"), org.schema.get("Contact")
    assert account is not None and contact is not None
    with org.db.transaction():
        for i in range(ROWS):
            parent = org.store.create(account, {"Name": f"A{i}"}, org.user_id)
            org.store.create(contact, {"LastName": f"C{i}", "AccountId": parent}, org.user_id)
    yield org
    org.close()


def ids(org: Org, table: str) -> set[str]:
    return {r[0] for r in org.db.conn.execute(f'SELECT "Id" FROM "{table}"')}


def test_thousands_of_rows_are_reissued_quickly_with_references_kept(org: Org) -> None:
    before = ids(org, "Account")
    started = time.monotonic()
    done = refresh(org)
    assert time.monotonic() - started < 2.0
    assert done.records == 2 * ROWS + 3  # with the org, its user and the price book
    after = ids(org, "Account")
    assert len(after) == ROWS and not after & before
    joined = org.db.conn.execute(
        'SELECT COUNT(*) FROM "Contact" c JOIN "Account" a ON a."Id" = c."AccountId" '
        'AND a."Name" = \'A\' || substr(c."LastName", 2) AND a."OwnerId" = ?',
        (org.user_id,),
    ).fetchone()[0]
    assert joined == ROWS
    assert org.db.get_meta("org:id") == org.org_id == done.org_id
    assert org.store.new_id(org.schema.get("Account")).startswith("001" + done.pod)  # type: ignore[arg-type]


def test_hooks_run_inside_the_transaction_and_a_failure_undoes_everything(org: Org) -> None:
    seen: list[int] = []

    def hook(conn: sqlite3.Connection) -> None:
        seen.append(conn.execute(f"SELECT COUNT(*) FROM {MAP}").fetchone()[0])

    refresh(org, [hook])
    assert seen == [2 * ROWS + 3]
    org_id, accounts = org.org_id, ids(org, "Account")

    def broken(conn: sqlite3.Connection) -> None:
        raise RuntimeError("a hook failed")

    with pytest.raises(RuntimeError):
        refresh(org, [broken])
    assert (org.org_id, ids(org, "Account")) == (org_id, accounts)
    assert org.db.get_meta("org:id") == org_id
