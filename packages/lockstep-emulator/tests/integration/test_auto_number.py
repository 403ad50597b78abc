"""Auto-number fields: each record gets the next number of the field's sequence,
written through its display format (``A-{0000}``: ``A-0001``), never the record id.

Salesforce: an auto-number's display format holds one ``{0…}`` placeholder (its
zeros the least number of digits) and optionally ``{YYYY}``, ``{YY}``, ``{MM}``,
``{DD}``; numbering begins at the starting number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from lockstep_emulator.client import connect, start_emulator
from simple_salesforce import Salesforce

SCHEMA = """\
objects:
  Ticket__c:
    name_field: {type: auto_number}
    fields:
      Note__c: {type: string, length: 40}
  Invoice__c:
    name_field: {type: auto_number, display_format: "INV-{YYYY}-{0000}", starting_number: 7}
    fields:
      Seq__c: {type: auto_number, display_format: "A-{00}", starting_number: 98}
"""


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Salesforce]:
    schema = tmp_path_factory.mktemp("auto") / "schema.yaml"
    schema.write_text(SCHEMA)
    with start_emulator("--schema", str(schema)) as process, requests.Session() as session:
        session.verify = process.info.ca_cert
        session.trust_env = False
        yield connect(process.info, session)


def names(sf: Salesforce, soql: str) -> list[str]:
    return [r["Name"] for r in sf.query_all(soql)["records"]]


def test_an_auto_number_name_is_the_next_number_not_the_id(numbered: Salesforce) -> None:
    first = numbered.Ticket__c.create({"Note__c": "one"})["id"]
    numbered.Ticket__c.create({"Note__c": "two"})
    assert numbered.Ticket__c.get(first)["Name"] == "00000001"
    (job,) = numbered.bulk2.Ticket__c.insert(
        records=[{"Note__c": "three"}, {"Note__c": "four"}], wait=0.05
    )
    assert job["numberRecordsFailed"] == 0
    assert names(numbered, "SELECT Name FROM Ticket__c ORDER BY Name") == [
        "00000001",
        "00000002",
        "00000003",
        "00000004",
    ]


def test_display_format_and_starting_number(numbered: Salesforce) -> None:
    year = datetime.now(UTC).year
    made = [numbered.Invoice__c.create({})["id"] for _ in range(3)]
    rows = [numbered.Invoice__c.get(rid) for rid in made]
    assert [r["Name"] for r in rows] == [f"INV-{year}-{n:04d}" for n in (7, 8, 9)]
    assert [r["Seq__c"] for r in rows] == ["A-98", "A-99", "A-100"]


def test_case_numbers_follow_each_other(numbered: Salesforce) -> None:
    made = [numbered.Case.create({"Subject": "s"})["id"] for _ in range(2)]
    first, second = (numbered.Case.get(rid)["CaseNumber"] for rid in made)
    assert re.fullmatch(r"\d{8}", first) and int(second) == int(first) + 1
