"""SQL rows → JSON-ready records, built once per query as closures.

Each object in the output (the record, and every parent nested in it) owns one block of
consecutive SQL columns: its id, then one column per output key in SELECT order. A
parent's slot in that block holds the parent's id (so null means "no parent") and a
child subquery's slot holds NULL; the parent's own block follows later in the row. A
record is then one ``dict(zip(keys, row))`` with the id's slot reused for
``attributes``, plus fixes for the few values whose stored form is not their JSON
form (booleans, computed numbers) and for nested parents. Paging 200k rows a second
depends on this staying small.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lockstep_emulator.schema.model import FieldDef, FieldType

Row = Sequence[Any]
Record = dict[str, Any]
Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class Shape:
    """One object's block: the id at ``row[start]``, ``keys[i]`` at ``row[start + 1 + i]``.

    ``converts`` are (key, index, function) for values to convert; ``parents`` are
    (key, shape) for the parent records nested under ``key``.
    """

    sobject: str
    start: int
    keys: tuple[str, ...]
    converts: tuple[tuple[str, int, Convert], ...] = ()
    parents: tuple[tuple[str, Shape], ...] = ()


def _boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def to_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def converter(f: FieldDef, *, nullable: bool = False) -> Convert | None:
    """How a stored value of ``f`` becomes JSON, or None when it already is.

    A boolean column is NOT NULL, so record fields use the builtin ``bool``; an
    aggregate over no rows (``nullable``) can still be null.
    """
    if f.type is FieldType.BOOLEAN:
        return _boolean if nullable else bool
    if f.rollup is not None and f.type is FieldType.INT:
        return _int
    if f.rollup is not None and f.is_number:
        return to_float
    return None


def shaper(shape: Shape, url_base: str) -> Callable[[Row], Record]:
    """A function building the record ``shape`` describes from one SQL row.

    The common cases (a record without parents, with no or one value to convert) get
    their own closures: this runs once per row.
    """
    sobject = shape.sobject
    prefix = f"{url_base}/sobjects/{sobject}/"
    keys = ("attributes", *shape.keys)
    start, end = shape.start, shape.start + len(keys)
    converts = shape.converts
    parents = tuple((key, shaper(parent, url_base)) for key, parent in shape.parents)

    if start == 0 and not parents and not converts:

        def plain(row: Row) -> Record:
            rec = dict(zip(keys, row, strict=False))
            rec["attributes"] = {"type": sobject, "url": prefix + row[0]}
            return rec

        return plain

    if start == 0 and not parents and len(converts) == 1:
        ((key, index, convert),) = converts

        def one_fix(row: Row) -> Record:
            rec = dict(zip(keys, row, strict=False))
            rec["attributes"] = {"type": sobject, "url": prefix + row[0]}
            rec[key] = convert(row[index])
            return rec

        return one_fix

    def full(row: Row) -> Record:
        rec = dict(zip(keys, row[start:end], strict=True))
        rec["attributes"] = {"type": sobject, "url": prefix + row[start]}
        for key, index, convert in converts:
            rec[key] = convert(row[index])
        for key, build in parents:
            if rec[key] is not None:
                rec[key] = build(row)
        return rec

    return full
