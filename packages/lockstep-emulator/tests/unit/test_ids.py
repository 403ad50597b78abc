from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lockstep_emulator import ids

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
id15s = st.text(alphabet=BASE62, min_size=15, max_size=15)


@pytest.mark.parametrize(
    ("id15", "suffix"),
    [("00190000001pPvH", "AAU"), ("a00D0000008pQRA", "IA2"), ("00Di0000000icUB", "EAY")],
)
def test_checksum_matches_documented_ids(id15: str, suffix: str) -> None:
    assert ids.checksum(id15) == suffix
    assert ids.to18(id15) == id15 + suffix


@given(id15s)
def test_checksum_round_trips(id15: str) -> None:
    id18 = ids.to18(id15)
    assert len(id18) == 18
    assert id18[:15] == id15
    assert ids.to18(id18) == id18
    assert ids.to18(id18.lower()) == id18
    assert ids.to18(id18.upper()) == id18


@given(id15s, id15s)
def test_distinct_15_char_ids_stay_distinct_case_insensitively(a: str, b: str) -> None:
    if a != b:
        assert ids.to18(a).lower() != ids.to18(b).lower()


@given(st.integers(min_value=0, max_value=62**9 - 1))
def test_made_ids_are_canonical(counter: int) -> None:
    made = ids.make_id("001", "A9", counter)
    assert made.startswith("001A90")
    assert ids.to18(made[:15]) == made
    assert ids.key_prefix(made) == "001"


@pytest.mark.parametrize("bad", ["", "001", "001xx!0000000000", "0" * 16, "0" * 19, None])
def test_rejects_what_is_not_an_id(bad: object) -> None:
    assert not ids.is_id_shaped(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a Salesforce id"):
        ids.to18(bad)  # type: ignore[arg-type]


def test_counter_overflow_is_an_error() -> None:
    with pytest.raises(ValueError, match="overflows"):
        ids.encode_base62(62**9, 9)
