"""The normalizers match rules apply before comparing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from lockstep.matching.normalize import normalizer

CASES: list[tuple[list[str], Any, str | None]] = [
    ([], " Acme  Ltd ", " Acme  Ltd "),
    (["exact"], "Acme", "Acme"),
    (["case"], "ACME Straße", "acme strasse"),
    (["whitespace"], "  Acme \t\n Ltd  ", "Acme Ltd"),
    (["case", "whitespace"], "  ACME   Ltd ", "acme ltd"),
    (["email"], "  Jo.Doe@Example.COM ", "jo.doe@example.com"),
    (["phone"], "+1 (555) 010-2000", "5550102000"),
    (["phone"], "555.010.2000", "5550102000"),
    (["phone"], "+44 20 7946 0000", "442079460000"),
    (["phone"], "1-800", "1800"),
    (["phone"], "n/a", None),
    (["whitespace"], "   ", None),
    (["case"], "", None),
    (["case"], None, None),
    ([], 1, "1"),
    ([], 1.0, "1"),
    ([], Decimal("1.00"), "1"),
    ([], Decimal("1.50"), "1.5"),
    ([], 2.5, "2.5"),
    ([], True, "true"),
    ([], date(2026, 1, 2), "2026-01-02"),
    (
        [],
        datetime(2026, 1, 2, 4, 0, tzinfo=timezone(timedelta(hours=1))),
        "2026-01-02T03:00:00+00:00",
    ),
    ([], datetime(2026, 1, 2, 3, 0), datetime(2026, 1, 2, 3, 0, tzinfo=UTC).isoformat()),
]


@pytest.mark.parametrize(("names", "value", "expected"), CASES)
def test_normalize(names: list[str], value: Any, expected: str | None) -> None:
    assert normalizer(names)(value) == expected


def test_normalizers_are_composed_once() -> None:
    assert normalizer(["case", "whitespace"]) is normalizer(("case", "whitespace"))


def test_an_unknown_normalizer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown normalizer 'soundex'; expected one of: exact"):
        normalizer(["case", "soundex"])
