"""A group of ops as the CSV table a Bulk API 2.0 ingest job uploads.

Columns: ``Id`` first for updates and deletes, the external-id field first for
upserts, then every field any op writes, in order of appearance. A field an op does
not write is an empty cell (left unchanged); a ``None`` is ``#N/A`` (cleared).

The table keeps its ops, not its rows: a row is made from its op when it is written
and again when a result has to be compared with it, so a job of a few hundred
thousand records never holds them twice. Each row's *key* is the cell that names its
record unambiguously, ``Id`` or the external id, the one result files are matched on;
inserts have none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from lockstep.connectors.salesforce.records import Action
from lockstep.connectors.salesforce.values import to_csv
from lockstep.core.ops import Op, Upsert

ABSENT: Any = object()  # a field the op does not write: an empty cell
NOWHERE: Any = object()  # a column never read from the op's values


def cell(value: Any) -> str:
    """``value`` as a CSV cell (an unwritten field as an empty one)."""
    if value.__class__ is str:
        return str(value)
    if value is ABSENT:
        return ""
    return to_csv(value)


@dataclass(frozen=True)
class Table:
    """The upload of one job: its columns, and its rows made from ``ops`` on demand."""

    columns: tuple[str, ...]
    ops: Sequence[Op]
    by_id: bool  # the first column is the op's native id (update, delete)
    reads: tuple[Any, ...]  # the values key each other column reads
    key: int | None  # the column that identifies a row's record, if any

    def row(self, index: int) -> list[str]:
        op = self.ops[index]
        values = op.values if isinstance(op, Upsert) else {}
        cells = [
            v if v.__class__ is str else cell(v)
            for v in map(values.get, self.reads, repeat(ABSENT))
        ]
        if self.by_id:
            cells.insert(0, cell(op.native_id))
        return cells

    def rows(self) -> Iterator[list[str]]:
        return map(self.row, range(len(self.ops)))

    def key_of(self, index: int) -> str:
        """The key cell of row ``index`` (``key`` must be set)."""
        op = self.ops[index]
        if self.by_id:
            return cell(op.native_id)
        values = op.values if isinstance(op, Upsert) else {}
        return cell(values.get(self.reads[0], ABSENT))

    def csv_bytes(self) -> bytes:
        """The header and every row, ``LF``-ended, UTF-8."""
        out = io.BytesIO()
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows())
        text.flush()
        data = out.getvalue()
        text.detach()
        return data


def table(action: Action, match_on: str | None, ops: Sequence[Op]) -> Table:
    """The table of ``ops``, all of one ``action`` (and external-id field)."""
    by_id = action in ("update", "delete")
    columns: dict[str, None] = dict.fromkeys(["Id"] if by_id else [])
    if match_on is not None:
        columns[match_on] = None
    if action != "delete":
        for op in ops:
            if isinstance(op, Upsert):
                for name in op.values:
                    if name not in columns and name.lower() != "id":
                        columns[name] = None
    names = tuple(columns)
    others = names[1:] if by_id else names
    # The Id goes apart (``records.fields_of``): an upsert on an id-like column reads nothing.
    reads = tuple(NOWHERE if name.lower() == "id" else name for name in others)
    key = 0 if by_id or action == "upsert" else None
    return Table(names, ops, by_id, reads, key)
