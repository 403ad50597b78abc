"""Salesforce's echoes are not written back over newer app values, at scale (issue 10,
item 7; ``issue10-repro/repro_scale.sh``).

Customers, last writer wins. Every app row is edited A→B; a pass writes B to
Salesforce; every row is edited B→C before the next pass. That pass reads the app's C
changes and Salesforce's echoes of B: the echoes are lockstep's own writes read back,
so the app must end all C, and no change may be written into the app.

The defect showed once a pass's changes (two per row) outgrew one claimed batch: a
record's app change and its echo landed in different batches, and the echo, judged
against what the first batch had just written, was taken for a new change. So the
test runs at 6,000 and 12,000 rows with the drain's own batch size, and at 30 rows with
a batch of 10 records.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lockstep.reports.summary import Summary
from lockstep.sync import drain
from tests.support.looks import soql
from tests.support.sync_world import World


def processed(summary: Summary) -> list[dict[str, str]]:
    with (Path(summary.reports) / "processed.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def names(world: World) -> set[str]:
    """The first letter of every app row's name (its edit)."""
    with world.app() as conn:
        found = conn.exec_driver_sql("SELECT DISTINCT substr(name, 1, 1) FROM customers")
        return {str(row[0]) for row in found}


def edit_all(world: World, letter: str) -> None:
    world.execute(f"UPDATE customers SET name = '{letter}' || substr(name, 2)")


def echoes_are_not_written_back(world: World, rows: int) -> None:
    world.config["entities"] = {"customer": world.config["entities"]["customer"]}
    world.config["entities"]["customer"]["conflict"] = "last_writer_wins"
    world.insert(
        "customers",
        [{"id": i, "name": f"A{i:06d}", "phone": None, "gid": None} for i in range(1, rows + 1)],
    )
    assert world.sync().counts.created == rows
    for _ in range(3):  # Salesforce's echoes of the creates, the app's of the write-back
        if world.sync().counts.selected == 0:
            break
    edit_all(world, "B")
    carried = world.sync()
    assert carried.status == "done", carried.notes
    assert carried.counts.updated == rows
    edit_all(world, "C")

    echoes = world.sync()

    assert echoes.status == "done", echoes.notes
    assert names(world) == {"C"}
    into_app = [r for r in processed(echoes) if r["target_system"] == "app"]
    assert [r for r in into_app if r["action"] in ("create", "update")] == []
    assert echoes.counts.updated == rows  # the C values, to Salesforce
    assert {r["Name"][0] for r in soql(world.sf, "SELECT Name FROM Account")} == {"C"}


def test_echoes_split_from_their_record_across_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drain, "BATCH", 10)
    echoes_are_not_written_back(world, 30)


@pytest.mark.slow
@pytest.mark.parametrize("rows", [6_000, 12_000])
def test_echoes_at_scale(world: World, rows: int) -> None:
    echoes_are_not_written_back(world, rows)
