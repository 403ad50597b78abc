"""An ingest job's result files: ``successfulResults``, ``failedResults``,
``unprocessedrecords``.

The first two are appended chunk by chunk as the job runs; their sizes are committed
with the chunk's records (``Progress``), so after a crash or a failed chunk they are
cut back to what the database holds. Unprocessed records are never written: they are
the upload's own bytes from the job's last committed offset on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

from lockstep_emulator.api.bulk2.dialect import Dialect, row_end
from lockstep_emulator.api.bulk2.model import Progress
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.store.batch import Outcome

SUCCESS = "success.csv"
FAILED = "failed.csv"
SUCCESS_COLUMNS = ("sf__Id", "sf__Created")
FAILED_COLUMNS = ("sf__Id", "sf__Error")


def part_path(directory: Path, number: int) -> Path:
    """Where upload number ``number`` (from 0) of a job is kept."""
    return directory / f"part-{number + 1:04d}.csv"


def sf_error(error: SalesforceError) -> str:
    """``sf__Error`` as Salesforce writes it: ``CODE:message:fields --``."""
    fields = ",".join(error.fields)
    return (
        f"{error.error_code}:{error.message}:{fields} --"
        if fields
        else (f"{error.error_code}:{error.message}:--")
    )


class ResultFiles:
    """The success and failure files of one running job, open for appending."""

    def __init__(
        self, directory: Path, dialect: Dialect, names: Sequence[str], progress: Progress
    ) -> None:
        self.dialect = dialect
        self._success = _open(directory / SUCCESS, progress.success_bytes)
        self._failed = _open(directory / FAILED, progress.failed_bytes)
        if not progress.success_bytes:
            self._success.write(dialect.header(SUCCESS_COLUMNS, names))
        if not progress.failed_bytes:
            self._failed.write(dialect.header(FAILED_COLUMNS, names))

    def sizes(self) -> tuple[int, int]:
        return self._success.tell(), self._failed.tell()

    def append(self, rows: Sequence[Sequence[str]], outcomes: Sequence[Outcome]) -> tuple[int, int]:
        """Write each row to the file its outcome belongs in; the new sizes."""
        good: list[list[str]] = []
        bad: list[list[str]] = []
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome.error is None:
                good.append([outcome.id or "", "true" if outcome.created else "false", *row])
            else:
                bad.append([outcome.id or "", sf_error(outcome.error), *row])
        if good:
            self._success.write(self.dialect.format_rows(good))
        if bad:
            self._failed.write(self.dialect.format_rows(bad))
        self._success.flush()
        self._failed.flush()
        return self.sizes()

    def cut(self, sizes: tuple[int, int]) -> None:
        """Forget what was appended after ``sizes`` (its chunk was rolled back)."""
        for f, size in zip((self._success, self._failed), sizes, strict=True):
            f.seek(size)
            f.truncate()

    def close(self) -> None:
        self._success.close()
        self._failed.close()


def _open(path: Path, size: int) -> IO[bytes]:
    f = path.open("r+b" if path.exists() else "w+b")
    f.seek(size)
    f.truncate()
    return f


def result_file(directory: Path, name: str, dialect: Dialect, names: Sequence[str]) -> bytes:
    """A finished job's success or failure file (just the header if nothing was written)."""
    path = directory / name
    if path.exists():
        return path.read_bytes()
    columns = SUCCESS_COLUMNS if name == SUCCESS else FAILED_COLUMNS
    return dialect.header(columns, names)


def unprocessed(
    directory: Path, dialect: Dialect, parts: int, progress: Progress, finished: bool
) -> bytes:
    """The upload's header and every row after the last committed one (none once the
    job has processed everything)."""
    if parts == 0:
        return b""
    first = part_path(directory, 0).read_bytes()
    header_end = row_end(first)
    out = [first[:header_end]]
    if finished:
        return out[0]
    for number in range(progress.part, parts):
        data = first if number == 0 else part_path(directory, number).read_bytes()
        start = progress.offset if number == progress.part and progress.offset else row_end(data)
        rest = data[start:]
        if rest and not rest.endswith(b"\n"):
            rest += dialect.terminator.encode()
        out.append(rest)
    return b"".join(out)
