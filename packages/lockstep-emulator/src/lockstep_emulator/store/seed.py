"""Seeding an org with records from JSON or CSV, all or nothing.

Each record goes through ``RecordStore.create``, so it is validated exactly as a
client's create would be (types, required fields, references, uniqueness, validation
rules) and change listeners see it. Objects are seeded in the order given, so
parents can come before children. Every bad record is reported (up to
``MAX_PROBLEMS``), then nothing is kept: a half-seeded org only confuses a test.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.store.records import RecordStore

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class SeedProblem:
    """One record that could not be created: where (``Account[3]``), and why."""

    where: str
    error_code: str
    message: str
    fields: tuple[str, ...] = ()


class SeedError(Exception):
    """The seed was refused; ``problems`` says which records and why."""

    def __init__(self, problems: Sequence[SeedProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.where}: {p.error_code}: {p.message}" for p in problems))


def seed(
    store: RecordStore, records: Mapping[str, Sequence[Any]], user_id: str
) -> dict[str, list[str]]:
    """Create ``records`` (object name → list of field maps); their new ids, per object."""
    created: dict[str, list[str]] = {}
    problems: list[SeedProblem] = []
    with store.db.transaction():
        for name, rows in records.items():
            obj = store.schema.get(name)
            if obj is None:
                problems.append(SeedProblem(name, "INVALID_TYPE", f"no object named {name}"))
                continue
            out = created.setdefault(obj.name, [])
            for i, row in enumerate(rows):
                if len(problems) >= MAX_PROBLEMS:
                    break
                where = f"{obj.name}[{i}]"
                if not isinstance(row, Mapping):
                    problems.append(SeedProblem(where, "JSON_PARSER_ERROR", "not an object"))
                    continue
                try:
                    with store.db.transaction():
                        out.append(store.create(obj, row, user_id))
                except SalesforceError as exc:
                    problems.append(
                        SeedProblem(where, exc.error_code, exc.message, tuple(exc.fields))
                    )
        if problems:
            raise SeedError(problems)
    return created


def rows_from_csv(text: str) -> list[dict[str, str]]:
    """CSV with a header of field names → one field map per row (empty cells left out,
    so defaults apply); ``ValueError`` naming the line of a malformed row."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not all(name.strip() for name in header):
            raise ValueError("line 1: the header must name a field in every column")
        names = [name.strip() for name in header]
        if len({n.lower() for n in names}) != len(names):
            raise ValueError("line 1: a field is named twice in the header")
        rows = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(names):
                raise ValueError(
                    f"line {reader.line_num}: {len(row)} values for {len(names)} columns"
                )
            rows.append({n: v for n, v in zip(names, row, strict=True) if v != ""})
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from None
    return rows
