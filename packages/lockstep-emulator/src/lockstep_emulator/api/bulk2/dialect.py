"""CSV as Bulk API 2.0 speaks it: six column delimiters, two line endings, ``"`` quotes.

A job names its ``columnDelimiter`` and ``lineEnding``; uploads are read, and result
files written, in them. Salesforce quotes every value it writes, so a result file's
rows can be found in the raw bytes without parsing them: a line feed ends a row
exactly when an even number of quotes precede it since the row began (a quote inside
a value is doubled). The same rule splits an upload into whole rows, so a chunk of
an upload can be handed to the CSV parser on its own, and a job's progress can be
kept as a byte offset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
BOM = "\ufeff"


@dataclass(frozen=True)
class Dialect:
    """A job's ``columnDelimiter`` and ``lineEnding`` (their enum names)."""

    column_delimiter: str = "COMMA"
    line_ending: str = "LF"

    @property
    def delimiter(self) -> str:
        return DELIMITERS[self.column_delimiter]

    @property
    def terminator(self) -> str:
        return LINE_ENDINGS[self.line_ending]

    def rows(self, text: str) -> Iterator[list[str]]:
        """Parse whole CSV rows; ``csv.Error`` on a malformed one."""
        return csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True)

    def writer(self, out: IO[str]) -> Any:
        """A writer that quotes every value, as Salesforce's result files do."""
        return csv.writer(
            out, delimiter=self.delimiter, lineterminator=self.terminator, quoting=csv.QUOTE_ALL
        )

    def format_rows(self, rows: Sequence[Sequence[Any]]) -> bytes:
        buffer = io.StringIO()
        self.writer(buffer).writerows(rows)
        return buffer.getvalue().encode()

    def header(self, quoted: Sequence[str], plain: Sequence[str]) -> bytes:
        """A header row: ``quoted`` names (``sf__Id``) quoted, then the upload's own
        column names as the client wrote them."""
        names = [f'"{n}"' for n in quoted] + [self._minimal(n) for n in plain]
        return (self.delimiter.join(names) + self.terminator).encode()

    def _minimal(self, value: str) -> str:
        if any(c in value for c in (self.delimiter, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    def line_ending_error(self, first_row: bytes) -> str | None:
        """Salesforce's complaint when the upload's line ending is not the job's."""
        crlf = first_row.endswith(b"\r\n")
        if first_row.endswith(b"\n") and crlf != (self.line_ending == "CRLF"):
            return (
                "ClientInputError : LineEnding is invalid on user data. "
                f"Current LineEnding setting is {self.line_ending}"
            )
        return None


def row_end(data: bytes, start: int = 0) -> int:
    """The offset just past the row starting at ``start`` (``len(data)`` if it has no
    line feed): the first line feed with an even number of quotes before it."""
    end = data.find(b"\n", start)
    while end >= 0 and data.count(b'"', start, end) % 2:
        end = data.find(b"\n", end + 1)
    return len(data) if end < 0 else end + 1


def skip_rows(data: bytes, count: int, start: int = 0) -> int:
    """The offset just past ``count`` rows from ``start``."""
    pos = start
    for _ in range(count):
        if pos >= len(data):
            break
        pos = row_end(data, pos)
    return pos


def last_row_end(data: bytes) -> int:
    """The offset just past the last whole row in ``data`` (0 if there is none)."""
    end = data.rfind(b"\n")
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end)
    return end + 1


def blocks(path: Path, start: int, size: int) -> Iterator[tuple[int, bytes]]:
    """Whole rows of the file from byte ``start``, about ``size`` bytes at a time, as
    (offset just past the block, block). A row longer than ``size`` comes whole."""
    with path.open("rb") as f:
        f.seek(start)
        offset, pending = start, b""
        while True:
            more = f.read(size)
            if not more:
                if pending:
                    yield offset + len(pending), pending
                return
            pending += more
            end = last_row_end(pending)
            if end:
                offset += end
                yield offset, pending[:end]
                pending = pending[end:]
