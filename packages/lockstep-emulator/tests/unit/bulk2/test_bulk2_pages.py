"""Pages of a query job's results: locators, maxRecords, checkpoints, the byte cap."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest
from lockstep_emulator.api.bulk2 import pages
from lockstep_emulator.api.bulk2.dialect import Dialect
from lockstep_emulator.api.bulk2.errors import Bulk2Error
from lockstep_emulator.api.bulk2.extract import CHECKPOINT, INDEX, RESULTS
from lockstep_emulator.api.bulk2.pages import decode_locator, encode_locator, read_page

TOTAL = 2 * CHECKPOINT + 345
DIALECT = Dialect("COMMA", "LF")


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results file as ``extract.write_results`` lays it out, some values multi-line."""
    rows = [[f"{i:05d}", "two\nlines" if i % 7 == 0 else "x"] for i in range(TOTAL)]
    header = DIALECT.format_rows([["Id", "Name"]])
    offsets = array("q")
    with (tmp_path / RESULTS).open("wb") as out:
        out.write(header)
        position = len(header)
        for start in range(0, TOTAL, CHECKPOINT):
            offsets.append(position)
            data = DIALECT.format_rows(rows[start : start + CHECKPOINT])
            out.write(data)
            position += len(data)
        offsets.append(position)
    (tmp_path / INDEX).write_bytes(offsets.tobytes())
    return tmp_path


def ids_of(body: bytes) -> list[str]:
    rows = list(DIALECT.rows(body.decode()))
    assert rows[0] == ["Id", "Name"]
    return [r[0] for r in rows[1:]]


@pytest.mark.parametrize("size", [97, 999, 1000, 1001, 50_000, None])
def test_pages_cover_every_row_once(results: Path, size: int | None) -> None:
    seen: list[str] = []
    start, calls = 0, 0
    while True:
        page = read_page(results, TOTAL, start, size)
        calls += 1
        got = ids_of(page.body)
        assert page.count == len(got)
        seen += got
        if page.locator == "null":
            break
        start = decode_locator(page.locator, TOTAL)
        if calls > TOTAL:
            break
    assert seen == [f"{i:05d}" for i in range(TOTAL)]


def test_a_page_never_exceeds_the_byte_cap(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "MAX_PAGE_BYTES", 10_000)
    page = read_page(results, TOTAL, 0, None)
    assert page.count == CHECKPOINT  # at least one checkpoint's worth, so it moves on
    assert decode_locator(page.locator, TOTAL) == CHECKPOINT


def test_locators_look_like_salesforces_and_reject_nonsense() -> None:
    assert encode_locator(200000) == "MjAwMDAw"
    assert decode_locator("MjAwMDAw", 300000) == 200000
    for bad in ("!!", "MjAwMDAw", "bm9wZQ"):
        with pytest.raises(Bulk2Error) as caught:
            decode_locator(bad, 10)
        assert caught.value.error_code == "INVALID_LOCATOR"
