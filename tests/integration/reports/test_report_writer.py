"""ReportWriter: the files of ``reports/<run-id>/`` on a real file system."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from report_values import item, outcome, summary

from lockstep.core.plan import DuplicateGroup, FieldChange
from lockstep.reports.csvfile import ENCODING, safe_cell
from lockstep.reports.writer import (
    DIFF_COLUMNS,
    DUPLICATE_COLUMNS,
    EXCEPTION_COLUMNS,
    PROCESSED_COLUMNS,
    ReportWriter,
)

CSVS = {
    "processed.csv": PROCESSED_COLUMNS,
    "exceptions.csv": EXCEPTION_COLUMNS,
    "duplicates.csv": DUPLICATE_COLUMNS,
    "diff.csv": DIFF_COLUMNS,
}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding=ENCODING, newline="") as f:
        return list(csv.DictReader(f))


def header(path: Path) -> list[str]:
    with path.open(encoding=ENCODING, newline="") as f:
        return next(csv.reader(f))


def test_every_file_exists_with_its_header_even_when_empty(tmp_path: Path) -> None:
    with ReportWriter(tmp_path, "r1", "migrate") as writer:
        directory = writer.finish(summary("r1"))

    assert directory == tmp_path / "r1"
    names = {p.name for p in directory.iterdir()}
    assert names == {*CSVS, "summary.json", "report.html"}
    for name, columns in CSVS.items():
        assert header(directory / name) == list(columns)
        assert rows(directory / name) == []
        assert (directory / name).read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel


def test_the_contract_column_names() -> None:
    assert EXCEPTION_COLUMNS == ("entity", "key", "system", "error_code", "message", "bulk_job_id")
    assert PROCESSED_COLUMNS[:2] == ("entity", "source_system")


def test_rows_are_streamed_to_disk_while_the_run_goes(tmp_path: Path) -> None:
    writer = ReportWriter(tmp_path, "r1", "migrate", flush_rows=10)
    processed = tmp_path / "r1" / "processed.csv"
    for n in range(25):
        writer.processed(outcome(str(n)))
    # 20 rows flushed (two batches of 10) before the writer is closed
    assert len(rows(processed)) == 20
    writer.close()
    written = rows(processed)
    assert len(written) == 25
    assert written[0] == {
        "entity": "customer",
        "source_system": "sql",
        "source_key": "0",
        "target_system": "salesforce",
        "target_key": "0010000000000AAA",
        "global_id": "g-0",
        "action": "create",
        "created": "true",
    }


def test_a_failed_outcome_is_an_exception_with_its_bulk_job(tmp_path: Path) -> None:
    with ReportWriter(tmp_path, "r1", "migrate") as writer:
        writer.processed(
            outcome(
                "7",
                ok=False,
                target_key=None,
                created=False,
                error_code="REQUIRED_FIELD_MISSING",
                message="Required fields are missing: [LastName]",
                job_id="7505e000001AbCdAAK",
            )
        )
        writer.exception("contact", "c-9", "salesforce", "MISSING_PARENT", "no account 12")
        writer.finish(summary("r1"))

    assert rows(tmp_path / "r1" / "processed.csv") == []
    assert rows(tmp_path / "r1" / "exceptions.csv") == [
        {
            "entity": "customer",
            "key": "7",
            "system": "salesforce",
            "error_code": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [LastName]",
            "bulk_job_id": "7505e000001AbCdAAK",
        },
        {
            "entity": "contact",
            "key": "c-9",
            "system": "salesforce",
            "error_code": "MISSING_PARENT",
            "message": "no account 12",
            "bulk_job_id": "",
        },
    ]


def test_duplicates_and_diff_rows(tmp_path: Path) -> None:
    group = DuplicateGroup(
        entity="customer",
        target="salesforce",
        kind="target_matches",
        rule="email(email)",
        key="ann@example.com",
        source_keys=("1", "2"),
        candidates=("001A", "001B"),
    )
    planned = item(
        "5",
        "update",
        target_key="001C",
        reason="linked by xref",
        changes=(FieldChange("name", "Acme", "Acme Corp"), FieldChange("phone", None, "555")),
        deferred=("parent", "owner"),
    )
    with ReportWriter(tmp_path, "r1", "plan") as writer:
        writer.duplicate(group)
        writer.diff(planned)
        writer.finish(summary("r1", "plan"))

    assert rows(tmp_path / "r1" / "duplicates.csv") == [
        {
            "entity": "customer",
            "target_system": "salesforce",
            "kind": "target_matches",
            "rule": "email(email)",
            "key": "ann@example.com",
            "source_keys": "1;2",
            "candidates": "001A;001B",
        }
    ]
    assert rows(tmp_path / "r1" / "diff.csv") == [
        {
            "entity": "customer",
            "source_system": "sql",
            "source_key": "5",
            "target_system": "salesforce",
            "target_key": "001C",
            "global_id": "g-5",
            "action": "update",
            "reason": "linked by xref",
            "changes": "name: Acme -> Acme Corp; phone: (empty) -> 555",
            "deferred": "parent;owner",
            "finding": "",  # reconcile's; a plan's rows have none
        }
    ]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-5", "-5"),
        ("-1.25", "-1.25"),
        ("+3e4", "+3e4"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_formula_injection_guard(value: str | None, written: str) -> None:
    assert safe_cell(value) == written


def test_hostile_cells_are_neutralised_in_the_files(tmp_path: Path) -> None:
    with ReportWriter(tmp_path, "r1", "migrate") as writer:
        writer.exception("customer", "=1+1", "salesforce", "X", "@evil", "-5")
        writer.finish(summary("r1"))
    (row,) = rows(tmp_path / "r1" / "exceptions.csv")
    assert (row["key"], row["message"], row["bulk_job_id"]) == ("'=1+1", "'@evil", "-5")


def test_a_failure_inside_the_context_leaves_no_summary(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        ReportWriter(tmp_path, "r1", "migrate") as writer,
    ):
        writer.processed(outcome("1"))
        raise RuntimeError("boom")

    directory = tmp_path / "r1"
    assert not (directory / "summary.json").exists()
    assert not (directory / "report.html").exists()
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    assert len(rows(directory / "processed.csv")) == 1  # closed, so flushed: evidence kept
    with pytest.raises(RuntimeError, match="closed"):
        writer.processed(outcome("2"))


def test_a_failing_summary_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", refuse)
    with ReportWriter(tmp_path, "r1", "migrate") as writer, pytest.raises(OSError):
        writer.finish(summary("r1"))
    assert sorted(p.name for p in (tmp_path / "r1").iterdir()) == sorted(CSVS)


def test_summary_json_has_the_contract_fields_and_types(tmp_path: Path) -> None:
    with ReportWriter(tmp_path, "r1", "migrate") as writer:
        writer.finish(summary("r1", config="lockstep.yaml", notes=("first run",), deferred=3))
    data = json.loads((tmp_path / "r1" / "summary.json").read_bytes())

    assert list(data) == [
        "run_id",
        "mode",
        "status",
        "started_at",
        "finished_at",
        "counts",
        "by_entity",
        "api_calls",
        "deferred",
        "extra",
        "config",
        "reports",
        "notes",
    ]
    count_names = [
        "selected",
        "processed",
        "created",
        "updated",
        "deleted",
        "unchanged",
        "matched",
        "failed",
        "duplicates",
        "skipped",
    ]
    assert list(data["counts"]) == count_names
    assert all(type(v) is int for v in data["counts"].values())
    assert list(data["by_entity"]) == ["customer", "contact"]
    assert all(list(c) == count_names for c in data["by_entity"].values())
    assert data["api_calls"] == {"salesforce": 57, "sql": 3}
    assert (data["run_id"], data["mode"], data["status"]) == ("r1", "migrate", "done")
    assert data["started_at"] == "2026-11-24T01:02:03Z"
    assert data["finished_at"] == "2026-11-24T01:05:10Z"
    assert data["deferred"] == 3
    assert data["extra"] == 0
    assert data["config"] == "lockstep.yaml"
    assert data["reports"] == str(tmp_path / "r1")  # filled in by the writer
    assert data["notes"] == ["first run"]


def test_a_finished_run_is_never_overwritten(tmp_path: Path) -> None:
    with ReportWriter(tmp_path, "r1", "migrate") as writer:
        writer.finish(summary("r1"))
        with pytest.raises(RuntimeError, match="finished already"):
            writer.finish(summary("r1"))
    with pytest.raises(FileExistsError):
        ReportWriter(tmp_path, "r1", "migrate")


def test_the_summary_must_be_this_runs(tmp_path: Path) -> None:
    with ReportWriter(tmp_path, "r1", "migrate") as writer, pytest.raises(ValueError):
        writer.finish(summary("r2"))


def test_the_report_page_gets_what_the_writer_collected(tmp_path: Path) -> None:
    with ReportWriter(tmp_path, "r1", "migrate") as writer:
        for n in range(3):
            writer.exception("customer", str(n), "salesforce", "STRING_TOO_LONG", f"too long {n}")
        writer.exception("contact", "9", "salesforce", "DUPLICATE_VALUE", "dup")
        for n in range(60):
            writer.duplicate(
                DuplicateGroup("customer", "salesforce", "source_duplicates", "email", f"k{n}", ())
            )
        assert writer.top_exceptions() == [
            ("STRING_TOO_LONG", 3, "too long 0"),
            ("DUPLICATE_VALUE", 1, "dup"),
        ]
        writer.finish(summary("r1"))
    page = (tmp_path / "r1" / "report.html").read_text(encoding="utf-8")
    assert "STRING_TOO_LONG" in page
    assert "too long 0" in page and "too long 1" not in page
    assert "Showing the first 50 of 60 groups" in page
    assert len(rows(tmp_path / "r1" / "duplicates.csv")) == 60
