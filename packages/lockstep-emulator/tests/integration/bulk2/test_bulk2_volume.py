"""100,000 records through simple-salesforce's ``bulk2``: insert, upsert, query,
delete, queryAll, with per-record failures reported in ``failedResults``."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from simple_salesforce import Salesforce

N = 100_000
BAD_EVERY = 1000
# simple-salesforce sleeps ``wait`` before its first poll, then ``wait + e**n / 1000``
# between polls (n = 0, 1, ...) until that passes 2 s: with 1 s, a job of a few
# seconds is seen to end within about a second; a small wait backs off to 3 s sooner.
LOAD_WAIT = 1.0
QUERY_WAIT = 0.05


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_100k_records_through_simple_salesforce(bulk_sf: Salesforce, tmp_path: Path) -> None:
    tag = "vol-" + uuid.uuid4().hex[:8]
    bulk = bulk_sf.bulk2.Account

    inserts = [
        [f"{tag}-{i:06d}", f"{tag}-{i:06d}", "many" if i % BAD_EVERY == 7 else str(i % 5000), tag]
        for i in range(N)
    ]
    header = ["Name", "External_Id__c", "NumberOfEmployees", "Site"]
    done = bulk.insert(csv_file=write_csv(tmp_path / "insert.csv", header, inserts), wait=LOAD_WAIT)
    assert [(j["numberRecordsProcessed"], j["numberRecordsFailed"]) for j in done] == [
        (N, N // BAD_EVERY)
    ]
    failed = parse(bulk.get_failed_records(done[0]["job_id"]))
    assert len(failed) == N // BAD_EVERY
    assert failed[0]["sf__Id"] == ""
    assert failed[0]["sf__Error"] == (
        "INVALID_TYPE_ON_FIELD_IN_RECORD:NumberOfEmployees: value not of required type: many"
        ":NumberOfEmployees --"
    )
    assert failed[0]["Name"] == f"{tag}-000007"
    succeeded = parse(bulk.get_successful_records(done[0]["job_id"]))
    assert len(succeeded) == N - N // BAD_EVERY
    assert {r["sf__Created"] for r in succeeded} == {"true"}
    assert all(r["sf__Id"].startswith("001") and len(r["sf__Id"]) == 18 for r in succeeded)

    # Half of the keys exist (update), half are new (create); the rows that failed to
    # insert are created now.
    upserts = [
        [f"{tag}-{i:06d}", f"{tag}-{i:06d}", "upserted", tag] for i in range(N // 2, N + N // 2)
    ]
    header = ["External_Id__c", "Name", "Description", "Site"]
    done = bulk.upsert(
        csv_file=write_csv(tmp_path / "upsert.csv", header, upserts),
        external_id_field="External_Id__c",
        wait=LOAD_WAIT,
    )
    assert [(j["numberRecordsProcessed"], j["numberRecordsFailed"]) for j in done] == [(N, 0)]
    created = parse(bulk.get_successful_records(done[0]["job_id"]))
    assert sum(r["sf__Created"] == "true" for r in created) == N // 2 + N // 2 // BAD_EVERY

    live = N + N // 2 - N // 2 // BAD_EVERY
    soql = f"SELECT Id, External_Id__c, Description FROM Account WHERE Site = '{tag}'"
    ids: list[str] = []
    described = 0
    for page in bulk.query(soql, max_records=40_000, wait=QUERY_WAIT):
        rows = parse(page)
        ids += [r["Id"] for r in rows]
        described += sum(r["Description"] == "upserted" for r in rows)
    assert len(ids) == len(set(ids)) == live
    assert described == N

    doomed = ids[:N]
    done = bulk.delete(
        csv_file=write_csv(tmp_path / "delete.csv", ["Id"], [[i] for i in doomed]), wait=LOAD_WAIT
    )
    assert [(j["numberRecordsProcessed"], j["numberRecordsFailed"]) for j in done] == [(N, 0)]

    remaining = sum(
        len(parse(page))
        for page in bulk.query(f"SELECT Id FROM Account WHERE Site = '{tag}'", wait=QUERY_WAIT)
    )
    assert remaining == live - N
    deleted: list[str] = []
    for page in bulk.query_all(
        f"SELECT Id, IsDeleted FROM Account WHERE Site = '{tag}' AND IsDeleted = true",
        wait=QUERY_WAIT,
    ):
        rows = parse(page)
        assert {r["IsDeleted"] for r in rows} <= {"true"}
        deleted += [r["Id"] for r in rows]
    assert sorted(deleted) == sorted(doomed)
