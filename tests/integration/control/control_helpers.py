"""A ledger with a history, for ``lockstep status`` and ``lockstep explain``: made by
real sync passes (the sync tests' world: a SQLite service app and the emulator org,
``tests/integration/sync/sync_helpers.py``), then read through the CLI in-process.

The history (``build``): customer 1 and its contact 1 carried to Salesforce; contact
2 refused by Salesforce (a bad email: a failed queue item and an exception row);
customers 2 and 3 captured while Salesforce was down (pending, waiting for a retry).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import World

from lockstep.cli.app import main
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import Connector
from lockstep.connectors.factory import open_connector
from lockstep.sync.run import Open

DOWN = {
    "kind": "http_error",
    "status": 503,
    "error_code": "SERVER_UNAVAILABLE",
    "message": "down for maintenance",
    "match": {"path": "^/services/data/"},
}
BAD_EMAIL = "not an email"


def down_after_connecting(system: str, go_down: Callable[[], None]) -> Open:
    """``open_connector``, but ``system`` goes down as soon as the pass has checked it
    (as in the sync tests' outage)."""

    def open_(name: str, config: SalesforceSystem | SqlSystem) -> Connector:
        connector = open_connector(name, config)
        if name == system:
            check = connector.check

            def check_then_go_down() -> None:
                check()
                go_down()

            connector.check = check_then_go_down  # type: ignore[method-assign]
        return connector

    return open_


def build(world: World) -> None:
    """The history in the module docstring, on a started ``world``."""
    world.insert("customers", [{"id": 1, "name": "Acme", "phone": "555-0001"}])
    world.insert(
        "contacts", [{"id": 1, "last_name": "Doe", "email": "doe@example.com", "customer_id": 1}]
    )
    carried = world.sync()
    assert carried.counts.created == 2, carried.as_dict()
    world.sync()  # the echoes of the write-backs
    world.insert("contacts", [{"id": 2, "last_name": "Roe", "email": BAD_EMAIL}])
    refused = world.sync()
    assert refused.counts.failed == 1, refused.as_dict()
    world.insert("customers", [{"id": i, "name": f"Cust {i}"} for i in (2, 3)])
    down = world.sync(connect=down_after_connecting("crm", lambda: world.admin.set_faults([DOWN])))
    world.admin.clear_faults()
    assert down.status == "interrupted" and down.deferred == 2, down.as_dict()


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data


def cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> Result:
    """``lockstep <args> -c <config>`` in-process: its exit code and output."""
    capsys.readouterr()
    try:
        main([*args, "-c", str(config)])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    else:
        raise AssertionError("lockstep's main() returned instead of exiting")
    out, err = capsys.readouterr()
    return Result(code, out, err)
