"""Pages of a query job's results: ``maxRecords`` rows from a ``locator`` on.

A page is the header plus a byte range of the results file, found through the
checkpoint index (``extract``) and at most one checkpoint's worth of row skipping at
either end; only the page itself is read into memory, and a page never exceeds
``MAX_PAGE_BYTES`` (Salesforce, too, sends fewer rows than asked when they are
large). A locator is the base64 of the next row number, as Salesforce's look; the
last page's locator is the string ``null``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lockstep_emulator.api.bulk2.dialect import skip_rows
from lockstep_emulator.api.bulk2.errors import Bulk2Error
from lockstep_emulator.api.bulk2.extract import CHECKPOINT, INDEX, RESULTS

MAX_PAGE_BYTES = 64 << 20
GZIP_LEVEL = 1


@dataclass(frozen=True)
class Page:
    body: bytes
    count: int
    locator: str  # "null" on the last page


def encode_locator(row: int) -> str:
    return base64.b64encode(str(row).encode()).decode().rstrip("=")


def decode_locator(text: str, total: int) -> int:
    try:
        row = int(base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        row = -1
    if not 0 <= row <= total:
        raise Bulk2Error("INVALID_LOCATOR", f"Invalid locator: {text}")
    return row


def read_page(directory: Path, total: int, start: int, max_records: int | None) -> Page:
    """Rows ``start`` to ``start + max_records`` (all the rest when None), capped in bytes."""
    offsets = array("q")
    offsets.frombytes((directory / INDEX).read_bytes())
    with (directory / RESULTS).open("rb") as f:
        header = f.read(offsets[0])
        stop = total if max_records is None else min(total, start + max_records)
        first = _offset(f, offsets, start)
        last = _offset(f, offsets, stop)
        if last - first > MAX_PAGE_BYTES:
            stop = min(stop, _capped(offsets, start, first))
            last = _offset(f, offsets, stop)
        f.seek(first)
        body = header + f.read(last - first)
    return Page(body, stop - start, encode_locator(stop) if stop < total else "null")


def _offset(f: IO[bytes], offsets: array[int], row: int) -> int:
    """The byte offset at which row ``row`` starts (the end of the data for the last)."""
    block, skip = divmod(row, CHECKPOINT)
    if block >= len(offsets) - 1:
        return offsets[-1]
    if not skip:
        return offsets[block]
    f.seek(offsets[block])
    data = f.read(offsets[block + 1] - offsets[block])
    return offsets[block] + skip_rows(data, skip)


def _capped(offsets: array[int], start: int, first: int) -> int:
    """The last checkpoint row whose page still fits in ``MAX_PAGE_BYTES`` (at least
    the next checkpoint, so that every page moves on)."""
    block = start // CHECKPOINT + 1
    while block + 1 < len(offsets) and offsets[block + 1] - first <= MAX_PAGE_BYTES:
        block += 1
    return block * CHECKPOINT


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
