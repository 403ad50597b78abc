"""report.html: plain words, the figures, and nothing a hostile value can run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from report_values import summary

from lockstep.core.counts import Counts
from lockstep.core.plan import DuplicateGroup
from lockstep.reports.html import duration, headline, render
from lockstep.reports.summary import Summary


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def page(s: Summary, **kwargs: object) -> str:
    options: dict[str, object] = {
        "top_exceptions": [],
        "duplicates_sample": [],
        "entity_order": list(s.by_entity),
    }
    options.update(kwargs)
    return render(s, **options)  # type: ignore[arg-type]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_headline_in_plain_words() -> None:
    assert headline(summary()) == (
        "Migration finished: 9,812 records created, 2 updated, 12 failed — see the list below."
    )
    clean = summary(counts=Counts(selected=5, created=5))
    assert headline(clean) == "Migration finished: 5 records created, nothing failed."
    relink = summary(mode="relink", counts=Counts(updated=1))
    assert headline(relink) == "Relink finished: 1 record updated, nothing failed."


def test_plan_says_would_and_that_nothing_was_written() -> None:
    s = summary(mode="plan", counts=Counts(selected=130, created=120, updated=4, failed=6))
    assert headline(s) == (
        "Dry run finished: would create 120, would update 4; 6 would fail — see the list "
        "below; nothing was written."
    )
    html = page(s)
    assert "Would create" in html and "Would update" in html
    assert "nothing was written" in html


def test_a_reconcile_page_names_the_differences_by_finding() -> None:
    findings = {"customer": {"missing": 2, "link_broken": 1}, "contact": {"missing": 1}}

    html = text(page(summary(mode="reconcile", findings=findings)))

    assert "Differences found (diff.csv, by finding): 3 missing, 1 link_broken." in html
    assert "Differences found" not in text(page(summary(mode="reconcile")))


def test_page_holds_the_counts_per_entity_and_api_calls() -> None:
    html = page(summary(), entity_order=["contact", "customer"])
    words = text(html)
    assert "9,812" in words and "10,000" in words
    assert words.index("contact") < words.index("customer 10,000")
    assert "salesforce 57" in words and "sql 3" in words
    assert "Started 2026-11-24 01:02:03 UTC, finished 01:05:10 UTC — took 3 min 7 s" in words
    for name in ("processed.csv", "exceptions.csv", "duplicates.csv", "diff.csv"):
        assert f'href="{name}"' in html


def test_exception_codes_are_explained() -> None:
    html = page(
        summary(),
        top_exceptions=[
            ("REQUIRED_FIELD_MISSING", 9, "Required fields are missing: [LastName]"),
            ("SQL_SOMETHING", 2, "deadlock"),
            ("WEIRD_NEW_CODE", 1, "?"),
        ],
    )
    words = text(html)
    assert "REQUIRED_FIELD_MISSING — 9 records" in words
    assert "A field that Salesforce requires was empty" in words
    assert "The database refused the change" in words
    assert "The target system refused the record with this code" in words
    assert "Bulk Data Load Jobs" in words


def test_hostile_values_are_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    s = summary(
        by_entity={hostile: Counts(selected=1, failed=1)},
        notes=(hostile,),
        config='x" onmouseover="alert(1)',
    )
    group = DuplicateGroup(hostile, "salesforce", "target_matches", hostile, hostile, (hostile,))
    html = page(
        s,
        top_exceptions=[(hostile, 1, hostile)],
        duplicates_sample=[group],
        entity_order=[hostile],
    )
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'onmouseover="' not in html
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags


def test_page_is_self_contained() -> None:
    html = page(summary(deferred=7))
    assert "<script" not in html and "src=" not in html and "<link" not in html
    assert "default-src 'none'" in html
    assert "7 lookups" in html and "lockstep relink" in html


def test_duplicates_sample_and_nothing_to_do() -> None:
    group = DuplicateGroup(
        "customer", "salesforce", "target_matches", "email(email)", "ann@x.org", ("1",), ("a", "b")
    )
    html = page(summary(counts=Counts(created=1)), duplicates_sample=[group])
    words = text(html)
    assert "matches several existing records in salesforce" in words
    assert "ann@x.org" in words
    assert "Nothing: no record failed." in words


def test_durations() -> None:
    from datetime import timedelta

    assert duration(timedelta(milliseconds=300)) == "less than a second"
    assert duration(timedelta(seconds=12)) == "12 s"
    assert duration(timedelta(hours=2, minutes=5, seconds=9)) == "2 h 5 min"
