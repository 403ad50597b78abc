"""CSV for seeding: a header of field names, empty cells left out, bad lines named."""

from __future__ import annotations

import pytest
from lockstep_emulator.store.seed import rows_from_csv


def test_rows_are_field_maps_without_empty_cells() -> None:
    text = 'Name,Industry,Description\r\nAcme,Banking,"says ""hi"", twice"\r\nGlobex,,\r\n\r\n'
    assert rows_from_csv(text) == [
        {"Name": "Acme", "Industry": "Banking", "Description": 'says "hi", twice'},
        {"Name": "Globex"},
    ]


def test_a_quoted_value_may_span_lines() -> None:
    assert rows_from_csv('Name,Description\nA,"two\nlines"\n') == [
        {"Name": "A", "Description": "two\nlines"}
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the header must name a field in every column"),
        ("Name,,Phone\n", "line 1: the header must name a field in every column"),
        ("Name,name\n", "line 1: a field is named twice"),
        ("Name,Phone\nA,1\nB\n", "line 3: 1 values for 2 columns"),
        ('Name\n"unclosed\n', "line"),
    ],
)
def test_a_malformed_file_names_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rows_from_csv(text)
