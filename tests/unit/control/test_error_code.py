"""The code ``lockstep status`` counts a queue item's last error under: the ``CODE``
of ``CODE: message``, as the sync drain writes it."""

from __future__ import annotations

import pytest

from lockstep.control import error_code


@pytest.mark.parametrize(
    ("last_error", "code"),
    [
        ("UNREACHABLE: composite/sobjects/Account: SERVER_UNAVAILABLE: down", "UNREACHABLE"),
        ("INVALID_EMAIL_ADDRESS: Email: invalid email address: x", "INVALID_EMAIL_ADDRESS"),
        ("MISSING_PARENT: account 01J… is not in crm yet", "MISSING_PARENT"),
        ("connection reset by peer", "UNKNOWN"),
        ("Not a code: message", "UNKNOWN"),
        ("", "UNKNOWN"),
    ],
)
def test_the_code_is_what_comes_before_the_first_colon(last_error: str, code: str) -> None:
    assert error_code(last_error) == code
