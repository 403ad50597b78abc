"""The SOSL subset: what is read, what matches, and what is refused with MALFORMED_SEARCH.

From the SOQL and SOSL Reference: ``FIND {term}`` encloses the search in braces; words
without operators must all match; ``*`` stands for zero or more characters and ``?``
for one, at the middle or end of a word; ``IN NAME FIELDS`` searches name fields only;
``RETURNING Object(fields)`` names what comes back, ``LIMIT n`` caps the records.
"""

from __future__ import annotations

import pytest
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.sosl import Returning, parse


def test_the_served_subset_is_read() -> None:
    search = parse("FIND {Acme widg*} IN NAME FIELDS RETURNING Account(Id, Name), Contact LIMIT 20")
    assert search.words == ("Acme", "widg*")
    assert search.objects == (Returning("Account", ("Id", "Name")), Returning("Contact", ()))
    assert search.limit == 20


@pytest.mark.parametrize(
    ("words", "text", "matched"),
    [
        ("{acme}", "Acme Import Company", True),
        ("{ACME}", "acme", True),
        ("{acm}", "Acme", False),
        ("{acm*}", "Acme", True),
        ("{ac?e}", "Acme", True),
        ("{acme import}", "Import of Acme", True),
        ("{acme widget}", "Acme Import", False),
        ("{acme}", None, False),
    ],
)
def test_every_word_matches_a_whole_word(words: str, text: str | None, matched: bool) -> None:
    search = parse(f"FIND {words} IN NAME FIELDS RETURNING Account")
    assert search.matches(text) is matched


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "No search term found"),
        ("FIND Acme", "No search term found"),
        ("FIND {} IN NAME FIELDS RETURNING Account", "No search term found"),
        ("FIND {Acme} RETURNING Account", "IN NAME FIELDS only"),
        ("FIND {Acme} IN ALL FIELDS RETURNING Account", "IN NAME FIELDS only"),
        ("FIND {Acme} IN NAME FIELDS", "RETURNING"),
        ("FIND {Acme OR Globex} IN NAME FIELDS RETURNING Account", "plain words"),
        ('FIND {"Acme Co"} IN NAME FIELDS RETURNING Account', "plain words"),
        ("FIND {A*} IN NAME FIELDS RETURNING Account", "longer than one character"),
        (
            "FIND {Acme} IN NAME FIELDS RETURNING Account(Id WHERE Name = 'x')",
            "plain field list",
        ),
        ("FIND {Acme} IN NAME FIELDS RETURNING Account(Id) WITH SNIPPET", "RETURNING"),
    ],
)
def test_the_rest_is_refused_as_malformed_search(text: str, fragment: str) -> None:
    with pytest.raises(SalesforceError) as caught:
        parse(text)
    assert caught.value.error_code == "MALFORMED_SEARCH"
    assert fragment in caught.value.message
