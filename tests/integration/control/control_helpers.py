"""A ledger with a history, for ``lockstep status`` and ``lockstep explain``: made by
real sync passes (the sync tests' world: a SQLite service app and the emulator org,
``tests/support/sync_world.py``), then read through the CLI in-process.

The history (``build``): customer 1 and its contact 1 carried to Salesforce; contact
2 refused by Salesforce (a bad email: a failed queue item and an exception row);
customers 2 and 3 captured while Salesforce was down (pending, waiting for a retry).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lockstep.cli.app import main
from tests.support.sync_world import DOWN, World, down_after_connecting

BAD_EMAIL = "not an email"


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
