"""A property of ``compare`` + ``classify`` (hypothesis): records in step in two systems,
then random perturbations, each of one record: gone from Salesforce (a broken link),
never there (missing), a field changed on either side, a write-back lost or a status
that says Failed, a lock rule holding; and records only on one side (extra, never
synced, or a pair the match rules would link). The rows with a class are exactly the
perturbed ones, each with the class its perturbation makes; every other row agrees.

Derandomized, so CI sees the same examples each run (about a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lockstep.config.entities import Entity, SyncStatus
from lockstep.reconcile.compare import Held, Side, WriteBack, compare
from lockstep.reconcile.findings import classify

CUSTOMER = Entity.model_validate(
    {
        "owner": "app",
        "field_owners": {"phone": "crm"},
        "fields": {"name": "string", "phone": "string"},
        "match": [{"fields": ["name"], "normalize": ["case"]}],
        "bindings": {
            "app": {"table": "customers", "fields": {"name": "name", "phone": "phone"}},
            "crm": {"object": "Account", "fields": {"name": "Name", "phone": "Phone"}},
        },
    }
)
NAMES = frozenset({"name", "phone"})
STATUS = SyncStatus(field="sync_status")

# a perturbation of one record in step -> (its row in app, its row in crm)
LINKED: dict[str, tuple[str | None, str | None]] = {
    "none": (None, None),
    "gone_from_crm": (None, "link_broken"),
    "never_in_crm": (None, "missing"),
    "renamed_in_crm": (None, "field_mismatch"),
    "phone_changed_in_app": ("field_mismatch", None),
    "both_drift": ("field_mismatch", "field_mismatch"),
    "id_not_written_back": ("writeback_missing", None),
    "status_lost": ("writeback_missing", None),
    "status_failed": ("status_failed", None),
}


@dataclass(frozen=True)
class Case:
    linked: tuple[tuple[str, bool], ...]  # (perturbation, locked) per linked record
    extra: int  # records only in crm, never linked
    never: int  # the app's records never synced
    pairs: int  # one of each, the same name: the match rules would link them


cases = st.builds(
    Case,
    st.lists(st.tuples(st.sampled_from(sorted(LINKED)), st.booleans()), max_size=12).map(tuple),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 3),
)


def sides_of(
    case: Case,
) -> tuple[dict[str, Side], frozenset[str], dict[tuple[str, str], str]]:
    """The two sides, the global ids locked, and the class expected of each row that
    has one, by (global id or unlinked key, target system)."""
    app_linked: dict[str, Held] = {}
    crm_linked: dict[str, Held] = {}
    crm_known: set[str] = set()
    expected: dict[tuple[str, str], str] = {}
    locked: set[str] = set()
    for n, (perturbation, is_locked) in enumerate(case.linked):
        gid = f"G{n:03}"
        values = {"name": f"name {n}", "phone": f"555-{n:04}"}
        app_values, crm_values = dict(values), dict(values)
        house: dict[str, Any] = {"sf_id": f"A{n}", "sync_status": "Success"}
        if perturbation in ("renamed_in_crm", "both_drift"):
            crm_values["name"] = f"renamed {n}"
        if perturbation in ("phone_changed_in_app", "both_drift"):
            app_values["phone"] = "555-APP"
        if perturbation == "id_not_written_back":
            house["sf_id"] = None
        if perturbation == "status_lost":
            house["sync_status"] = None
        if perturbation == "status_failed":
            house["sync_status"] = "Failed"
        app_linked[gid] = Held(str(n), app_values, house)
        if perturbation != "never_in_crm":
            crm_known.add(gid)
        if perturbation not in ("gone_from_crm", "never_in_crm"):
            crm_linked[gid] = Held(f"A{n}", crm_values, {})
        for system, finding in zip(("app", "crm"), LINKED[perturbation], strict=True):
            if finding is not None:
                expected[(gid, system)] = "locked_different" if is_locked else finding
        if is_locked:
            locked.add(gid)
    app_unlinked = [
        Held(f"u{n}", {"name": f"never {n}", "phone": None}, {}) for n in range(case.never)
    ]
    crm_unlinked = [
        Held(f"E{n}", {"name": f"extra {n}", "phone": "1"}, {}) for n in range(case.extra)
    ]
    for n in range(case.never):
        expected[(f"u{n}", "crm")] = "missing"
    for n in range(case.extra):
        expected[(f"E{n}", "crm")] = "extra"
    for n in range(case.pairs):
        app_unlinked.append(Held(f"p{n}", {"name": f"Pair {n}", "phone": None}, {}))
        crm_unlinked.append(Held(f"P{n}", {"name": f"PAIR {n}", "phone": "2"}, {}))
        expected[(f"p{n}", "crm")] = expected[(f"P{n}", "crm")] = "unlinked_match"
    sides = {
        "app": Side(
            "app",
            app_linked,
            app_unlinked,
            NAMES,
            house=WriteBack({"crm": "sf_id"}, status=STATUS),
            known=frozenset(app_linked),
        ),
        "crm": Side("crm", crm_linked, crm_unlinked, NAMES, known=frozenset(crm_known)),
    }
    return sides, frozenset(locked), expected


@settings(max_examples=300, derandomize=True, deadline=None)
@given(cases)
def test_the_classes_found_are_exactly_the_perturbations(case: Case) -> None:
    sides, locked, expected = sides_of(case)

    items = classify(CUSTOMER, sides, compare("customer", CUSTOMER, sides), locked)

    got = {(i.global_id or i.source_key, i.target): i.finding for i in items if i.finding}
    assert got == expected
    for item in items:  # every row without a class agrees
        assert item.finding is not None or item.action in ("unchanged", "skip"), item
