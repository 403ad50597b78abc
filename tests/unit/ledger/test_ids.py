"""Global ids: 26 Crockford base32 digits, sortable by the time they were made."""

from __future__ import annotations

import random

from lockstep.ledger.ids import _base32, new_global_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def digit_by_digit(number: int, width: int) -> str:
    """The definition: ``width`` base-32 digits, most significant first."""
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        digits.append(CROCKFORD[digit])
    return "".join(reversed(digits))


def test_base32_is_crockfords_digits_most_significant_first() -> None:
    rng = random.Random(7)
    numbers = [0, 1, 31, 32, 2**128 - 1, 2**130 - 1, *(rng.getrandbits(128) for _ in range(2000))]
    for number in numbers:
        assert _base32(number, 26) == digit_by_digit(number, 26)


def test_ids_are_26_digits_unique_and_in_the_order_made() -> None:
    made = [new_global_id() for _ in range(20_000)]
    assert all(len(i) == 26 and set(i) <= set(CROCKFORD) for i in made)
    assert made == sorted(made) and len(set(made)) == len(made)
