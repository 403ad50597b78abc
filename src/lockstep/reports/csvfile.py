"""One report CSV, written as a stream, safe to open in a spreadsheet.

Encoding is ``utf-8-sig``: UTF-8 with a byte-order mark, so Excel shows accented names
correctly when a person double-clicks the file; Python's csv, pandas (``utf-8-sig``) and
most tools skip the mark. Rows are flushed every ``flush_rows`` rows or ``flush_seconds``
seconds, so a long run's files can be watched while it goes and hold what was done if the
process dies.

Formula injection: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula, and record values and error messages come from
outside. Such a cell is written with a leading ``'`` (which spreadsheets hide), unless it
is a plain number such as ``-5`` or ``+1.5e3``, which a spreadsheet reads as that number.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

ENCODING = "utf-8-sig"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> str:
    """The text of one cell, with a ``'`` before anything a spreadsheet would run."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class CsvStream:
    """A CSV file opened with its header, taking one row at a time."""

    def __init__(
        self,
        path: Path,
        columns: Sequence[str],
        *,
        flush_rows: int = 500,
        flush_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.rows = 0
        self._flush_rows = flush_rows
        self._flush_seconds = flush_seconds
        self._clock = clock
        self._file: IO[str] | None = path.open("w", encoding=ENCODING, newline="")
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._csv.writerow(self.columns)
        self._file.flush()
        self._pending = 0
        self._flushed_at = clock()

    def write(self, row: Sequence[object]) -> None:
        if self._file is None:
            raise RuntimeError(f"{self.path.name} is closed")
        if len(row) != len(self.columns):
            raise ValueError(f"{self.path.name}: {len(row)} cells for {len(self.columns)} columns")
        self._csv.writerow([safe_cell(value) for value in row])
        self.rows += 1
        self._pending += 1
        if self._pending >= self._flush_rows or self._clock() - self._flushed_at >= (
            self._flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
            self._pending = 0
            self._flushed_at = self._clock()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def closed(self) -> bool:
        return self._file is None
