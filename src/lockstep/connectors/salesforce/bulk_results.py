"""A Bulk API 2.0 ingest job's result files, mapped back to the input rows.

``successfulResults`` (``sf__Id, sf__Created, <input columns>``) and
``failedResults`` (``sf__Id, sf__Error, <input columns>``) echo each row as it was
submitted, in no promised order. Rows in neither file were not processed.

A result is matched to its input row by the row's key (``bulk_table``): ``Id`` for
updates and deletes, the external id for upserts, one dict from key to row. A key
given twice in one job (Salesforce fails the second within a batch, and does both
when they fall in different batches) is matched among its rows by the whole row,
then first come first served. Inserts have no key and are matched by the whole
row: one dict from the row's hash to its row number (a list only for identical or
colliding rows), the row itself made again from its op to confirm. Either way an
input row is taken at most once.

``sf__Error`` reads ``CODE:message:fields --``; the code is before the first colon.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from lockstep.connectors.salesforce.bulk_table import Table
from lockstep.core.ops import OpResult, RecordError

SF_ID, SF_CREATED, SF_ERROR = "sf__Id", "sf__Created", "sf__Error"


def split_error(text: str) -> RecordError:
    """``FIELD_CUSTOM_VALIDATION_EXCEPTION:Amount must not be negative:Amount__c --``
    as a ``RecordError``."""
    code, _, rest = text.partition(":")
    if not rest:
        return RecordError("UNKNOWN_EXCEPTION", text)
    fields: tuple[str, ...] = ()
    if rest.endswith("--"):
        rest = rest[:-2].rstrip()
        message, _, names = rest.rpartition(":")
        if not message and not _:
            message, names = names, ""
        fields = tuple(n for n in names.split(",") if n)
        rest = message
    return RecordError(code.strip(), rest.strip(), fields)


class Matcher:
    """The input rows of one job, by key (or by content for inserts), each taken once."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.keyed = table.key is not None
        count = len(table.ops)
        keys = list(map(table.key_of if self.keyed else self._hash_of, range(count)))
        # key (or row hash) → its only row; when several rows share it, row hash → rows
        self._one: dict[object, int] = dict(zip(keys, range(count), strict=True))
        self._many: dict[object, dict[int, list[int]]] = {}
        if len(self._one) < count:
            self._one = {}
            for index, key in enumerate(keys):
                self._add(key, index)

    def take(self, echoed: list[str]) -> int | None:
        """The input row a result row echoes (its cells in the table's column order),
        if one is left."""
        content = None if self.keyed else hash(tuple(echoed))
        key = echoed[self.table.key] if self.table.key is not None else content
        index = self._one.get(key)
        if index is not None:
            if not self.keyed and self.table.row(index) != echoed:
                return None
            del self._one[key]
            return index
        rows = self._many.get(key)
        if not rows:
            return None
        content = hash(tuple(echoed)) if content is None else content
        index = next((i for i in rows.get(content, ()) if self.table.row(i) == echoed), None)
        if index is None:
            if not self.keyed:
                return None
            # echoed differently from every row with its key: the first of them left
            content, [index, *_] = min(rows.items(), key=lambda item: item[1][0])
        same = rows[content]
        same.remove(index)
        if not same:
            del rows[content]
        return index

    def _hash_of(self, index: int) -> int:
        return hash(tuple(self.table.row(index)))

    def _add(self, key: object, index: int) -> None:
        rows = self._many.get(key)
        if rows is None:
            first = self._one.pop(key, None)
            if first is None:
                self._one[key] = index
                return
            rows = self._many[key] = {}
            rows.setdefault(self._hash_of(first), []).append(first)
        rows.setdefault(self._hash_of(index), []).append(index)


def map_results(
    matcher: Matcher, job_id: str, successes: bytes, failures: bytes
) -> list[OpResult | None]:
    """The result of each input row found in the two files (None where none was)."""
    found: list[OpResult | None] = [None] * len(matcher.table.ops)
    columns = matcher.table.columns
    for record_id, created, echoed in _rows(successes, SF_CREATED, columns):
        index = matcher.take(echoed)
        if index is not None:
            found[index] = OpResult(
                ok=True,
                native_id=record_id or None,
                created=created.lower() == "true",
                job_id=job_id,
            )
    for record_id, error, echoed in _rows(failures, SF_ERROR, columns):
        index = matcher.take(echoed)
        if index is not None:
            found[index] = OpResult(
                ok=False, native_id=record_id or None, error=split_error(error), job_id=job_id
            )
    return found


def _rows(data: bytes, second: str, columns: Sequence[str]) -> Iterator[tuple[str, str, list[str]]]:
    """Each row of a result file as ``sf__Id``, the ``second`` column, and the echoed
    input cells in ``columns`` order (empty where the file lacks a column)."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))
    header = next(reader, None)
    if not header:
        return
    place = {name: i for i, name in enumerate(header)}
    width = len(header)
    first, then = place.get(SF_ID, width), place.get(second, width)
    echoed = [place.get(name, width) for name in columns]
    plain = echoed == list(range(2, 2 + len(columns))) and (first, then) == (0, 1)
    end = 2 + len(columns)
    for row in reader:
        if not row:
            continue
        if plain and len(row) == width:
            yield row[0], row[1], row[2:end]
            continue
        row = [*row[:width], *[""] * (width - len(row)), ""]  # [width]: a missing column
        yield row[first], row[then], [row[p] for p in echoed]
