"""Mapping benchmark: how fast one core maps rows of a 6-field binding.

Measures, on ``--rows`` distinct rows (default 300,000, the size of a large
migration), the best of ``--repeat`` runs of
- ``reader``: ``Reader.read`` of Salesforce-shaped rows (names spelled differently
  from the config, so the case-insensitive resolution is exercised), with a value map,
  a float read as Decimal, a boolean, a date, a datetime and a reference;
- ``writer_create``: ``Writer.write(..., creating=True)`` of the canonical values back;
- ``writer_update``: ``Writer.write(..., only={two fields}, creating=False)``;
- ``diff_changed``: ``diff`` of the six fields between two different records;
- ``diff_unchanged``: ``diff`` of a record with itself as another system spells it
  (a float for the Decimal, the date as text);
- ``match``: ``MatchIndex.build`` and one ``find`` per record (two rules).

Prints one JSON object; the rates are rows per second of CPU time on one core.

    .venv/bin/python bench/mapping_bench.py [--rows 300000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lockstep.config.entities import Entity
from lockstep.mapping.record import compile_reader, compile_writer, diff
from lockstep.matching.index import MatchIndex

ENTITY = Entity.model_validate(
    {
        "fields": {
            "name": {"type": "string", "required": True},
            "tier": "string",
            "revenue": "decimal",
            "active": "boolean",
            "since": "date",
            "seen": "datetime",
        },
        "references": {"parent": "customer"},
        "bindings": {
            "crm": {
                "object": "Account",
                "fields": {
                    "name": "name",
                    "tier": {"field": "tier__c", "values": {"gold": "Gold", "silver": "Silver"}},
                    "revenue": "annualrevenue",
                    "active": "active__c",
                    "since": "since__c",
                    "seen": "lastseen__c",
                    "parent": "parentid",
                },
            }
        },
        "owner": "crm",
        "match": [
            {"fields": ["name"], "normalize": ["case", "whitespace"]},
            {"fields": ["tier", "since"]},
        ],
    }
)
FIELDS = tuple(ENTITY.fields)


def rows(n: int) -> list[dict[str, Any]]:
    start = datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
    return [
        {
            "Id": f"001{i:015d}",
            "Name": f"Account {i}",
            "Tier__c": "Gold" if i % 2 else "Silver",
            "AnnualRevenue": 1000.5 + i,
            "Active__c": bool(i % 3),
            "Since__c": date(2020, 1, 1) + timedelta(days=i % 2000),
            "LastSeen__c": start + timedelta(seconds=i),
            "ParentId": None if i % 4 else f"001{i // 4:015d}",
        }
        for i in range(n)
    ]


def best(repeat: int, n: int, run: Callable[[], object]) -> float:
    """Rows per second of the fastest of ``repeat`` runs, in CPU time of this process
    (one core), so that other work on the machine does not count against it."""
    fastest = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        run()
        fastest = min(fastest, time.process_time() - started)
    return round(n / fastest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.rows, args.repeat

    binding = ENTITY.bindings["crm"]
    reader = compile_reader(ENTITY, binding)
    writer = compile_writer(ENTITY, binding)
    native = rows(n)
    records = [reader.read(row) for row in native]
    assert all(r.ok for r in records), records[0]
    only = frozenset({"name", "revenue"})
    pairs = list(zip(records, records[1:] + records[:1], strict=True))
    # the same values as another system spells them: floats for decimals, ISO text
    echoes = [
        (
            r.values,
            {**r.values, "revenue": float(r.values["revenue"]), "since": str(r.values["since"])},
        )
        for r in records
    ]
    keyed = [(str(i), r.values) for i, r in enumerate(records)]

    def read() -> None:
        for row in native:
            reader.read(row)

    def create() -> None:
        for r in records:
            writer.write(r.values, r.refs, creating=True)

    def update() -> None:
        for r in records:
            writer.write(r.values, r.refs, only=only, creating=False)

    def compare_changed() -> None:
        for a, b in pairs:
            diff(ENTITY, a.values, b.values, FIELDS)

    def compare_unchanged() -> None:
        for a, b in echoes:
            diff(ENTITY, a, b, FIELDS)

    def match() -> None:
        index = MatchIndex.build(ENTITY.match, keyed)
        for _, values in keyed:
            index.find(values)

    figures = {
        "rows": n,
        "fields": len(FIELDS),
        "python": platform.python_version(),
        "reader_rows_per_s": best(repeat, n, read),
        "writer_create_rows_per_s": best(repeat, n, create),
        "writer_update_rows_per_s": best(repeat, n, update),
        "diff_changed_rows_per_s": best(repeat, n, compare_changed),
        "diff_unchanged_rows_per_s": best(repeat, n, compare_unchanged),
        "match_build_and_find_rows_per_s": best(repeat, n, match),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
