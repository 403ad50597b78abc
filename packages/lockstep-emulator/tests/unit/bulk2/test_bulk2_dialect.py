"""Bulk API 2.0's CSV: every delimiter and line ending, and finding rows in raw bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lockstep_emulator.api.bulk2.dialect import (
    DELIMITERS,
    LINE_ENDINGS,
    Dialect,
    blocks,
    last_row_end,
    row_end,
    skip_rows,
)

DIALECTS = [Dialect(d, e) for d in DELIMITERS for e in LINE_ENDINGS]
AWKWARD = ["plain", "", 'say "hi"', "a,b;c|d^e`f\tg", "two\nlines", "cr\r\nlf", "#N/A", "ünï"]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: f"{d.column_delimiter}-{d.line_ending}")
def test_written_rows_read_back(dialect: Dialect) -> None:
    rows = [["Name", "Description"], *([value, value[::-1]] for value in AWKWARD)]
    data = dialect.format_rows(rows)
    assert data.endswith(dialect.terminator.encode())
    assert list(dialect.rows(data.decode())) == rows


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: f"{d.column_delimiter}-{d.line_ending}")
def test_rows_are_found_in_raw_bytes(dialect: Dialect) -> None:
    rows = [[value, "x"] for value in AWKWARD]
    data = dialect.format_rows(rows)
    ends = []
    pos = 0
    while pos < len(data):
        pos = row_end(data, pos)
        ends.append(pos)
    assert len(ends) == len(rows)
    assert skip_rows(data, 3) == ends[2]
    assert last_row_end(data) == len(data)
    assert last_row_end(data[:-1]) == ends[-2]


def test_a_row_without_a_final_line_feed_ends_at_the_end() -> None:
    assert row_end(b'"a","b"') == 7
    assert last_row_end(b'"a","b"') == 0
    assert skip_rows(b'"a"\n"b"', 5) == 7


@pytest.mark.parametrize(
    ("job", "first_row", "complaint"),
    [
        ("LF", b"Name\n", None),
        ("CRLF", b"Name\r\n", None),
        ("LF", b"Name\r\n", "Current LineEnding setting is LF"),
        ("CRLF", b"Name\n", "Current LineEnding setting is CRLF"),
        ("LF", b"Name", None),
    ],
)
def test_line_ending_must_match_the_job(job: str, first_row: bytes, complaint: str | None) -> None:
    problem = Dialect("COMMA", job).line_ending_error(first_row)
    if complaint is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem.startswith("ClientInputError : LineEnding is invalid on user data.")
        assert problem.endswith(complaint)


def test_result_header_quotes_its_own_columns_and_echoes_the_clients() -> None:
    header = Dialect("PIPE", "CRLF").header(("sf__Id", "sf__Created"), ["Name", "A|B"])
    assert header == b'"sf__Id"|"sf__Created"|Name|"A|B"\r\n'


values = st.text(alphabet=st.sampled_from('ab,;|^`\t"\r\n é'), max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(values, min_size=2, max_size=2), min_size=1, max_size=40),
    size=st.integers(min_value=1, max_value=64),
    dialect=st.sampled_from(DIALECTS),
)
def test_blocks_hand_out_whole_rows(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], size: int, dialect: Dialect
) -> None:
    path: Path = tmp_path_factory.mktemp("blocks") / "data.csv"
    data = dialect.format_rows(rows)
    path.write_bytes(data)
    parsed: list[list[str]] = []
    offset = 0
    for end, block in blocks(path, 0, size):
        assert data[offset:end] == block
        offset = end
        parsed.extend(dialect.rows(block.decode()))
    assert offset == len(data)
    assert parsed == rows
