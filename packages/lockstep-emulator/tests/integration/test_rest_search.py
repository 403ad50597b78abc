"""``GET search?q=`` over HTTPS: the SOSL subset the emulator serves (see sosl.py).

REST API Developer Guide, "Search for a String": the reply is
``{"searchRecords": [{"attributes": {"type", "url"}, "Id", …}, …]}``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def word() -> str:
    return "w" + uuid.uuid4().hex[:10]


def test_find_in_name_fields_returning_fields(sf: Salesforce) -> None:
    key = word()
    acme = sf.Account.create({"Name": f"Acme {key}", "Site": "hq"})["id"]
    sf.Account.create({"Name": f"Globex {key}"})
    contact = sf.Contact.create({"LastName": f"Acme {key}"})["id"]
    reply: dict[str, Any] = sf.restful(
        "search",
        params={
            "q": f"FIND {{acme {key}}} IN NAME FIELDS RETURNING Account(Id, Name, Site), Contact"
        },
    )
    assert reply == {
        "searchRecords": [
            {
                "attributes": {
                    "type": "Account",
                    "url": f"/services/data/v{sf.sf_version}/sobjects/Account/{acme}",
                },
                "Id": acme,
                "Name": f"Acme {key}",
                "Site": "hq",
            },
            {
                "attributes": {
                    "type": "Contact",
                    "url": f"/services/data/v{sf.sf_version}/sobjects/Contact/{contact}",
                },
                "Id": contact,
            },
        ]
    }
    assert sf.search(f"FIND {{{key[:6]}*}} IN NAME FIELDS RETURNING Account LIMIT 1") == {
        "searchRecords": [
            sf.search(f"FIND {{{key}}} IN NAME FIELDS RETURNING Account")["searchRecords"][0]
        ]
    }


def test_a_deleted_record_is_not_found(sf: Salesforce) -> None:
    key = word()
    rid = sf.Account.create({"Name": key})["id"]
    sf.Account.delete(rid)
    assert sf.search(f"FIND {{{key}}} IN NAME FIELDS RETURNING Account") == {"searchRecords": []}


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("FIND {Acme} IN ALL FIELDS RETURNING Account", "MALFORMED_SEARCH"),
        ("FIND {Acme} IN NAME FIELDS RETURNING Nope__c", "INVALID_TYPE"),
        ("FIND {Acme} IN NAME FIELDS RETURNING Account(Nope__c)", "INVALID_FIELD"),
    ],
)
def test_what_is_not_served_is_refused(sf: Salesforce, q: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("search", params={"q": q})
    assert caught.value.status == 400
    assert caught.value.content[0]["errorCode"] == code
