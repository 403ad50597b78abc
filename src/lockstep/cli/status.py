"""``lockstep status`` and ``lockstep explain``: the operator's look at the ledger.

A thin layer over ``lockstep.control``: no system is contacted, and a ledger that does
not exist is not created. Tables on a terminal, aligned plain text otherwise, one JSON
object with ``--json``.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lockstep.cli.options import DEFAULT_CONFIG, ConfigOption, JsonObjectOption
from lockstep.cli.output import say, table
from lockstep.errors import EXIT_FAILED_RECORDS, EXIT_OK

if TYPE_CHECKING:
    from lockstep.control import EntityQueue, LedgerStatus, Lineage

RUN_COUNTS = (
    "selected",
    "created",
    "updated",
    "deleted",
    "unchanged",
    "matched",
    "failed",
    "skipped",
)
MESSAGE_WIDTH = 100


def status(config: ConfigOption = DEFAULT_CONFIG, json: JsonObjectOption = False) -> int:
    """The ledger's health: the last run of each mode, the change queue per entity
    (states, the oldest pending change, the next retry, the errors behind what waits or
    failed) and the latest open exceptions. Exit 1 while an exception is open: it
    needs a person."""
    from lockstep.config.loader import load_config
    from lockstep.control import ledger_url, read_status

    loaded = load_config(config)
    report = read_status(ledger_url(loaded), tuple(loaded.config.entities))
    if json:
        _json(report.as_dict())
    elif not report.exists:
        say(f"no ledger at {report.ledger}: nothing has run")
    else:
        _status(report)
    return EXIT_FAILED_RECORDS if report.needs_a_person else EXIT_OK


def explain(
    entity: Annotated[str, typer.Argument(metavar="ENTITY", help="The entity.")],
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY",
            help="The record's native id in --system (default: the owner), or its global id.",
        ),
    ],
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            metavar="S",
            help="The system KEY is a native id of (default: the entity's owner).",
        ),
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    json: JsonObjectOption = False,
) -> int:
    """One record's lineage: its ids in every system, its golden record, what each
    system last agreed on, its changes in the queue and its exceptions. Exit 1 when
    the ledger knows no such record."""
    from lockstep.config.loader import load_config
    from lockstep.control import ledger_url, read_lineage

    loaded = load_config(config)
    found = read_lineage(ledger_url(loaded), loaded.config, entity, key, system)
    if json:
        _json(found.as_dict())
    else:
        _lineage(found)
    return EXIT_OK


# -- status --------------------------------------------------------------------------------


def _status(report: LedgerStatus) -> None:
    from lockstep.ledger.tables import QUEUE_STATES

    at = report.at
    say(f"ledger {report.ledger}, at {_stamp(at)}")
    say("")
    runs = [
        [mode, "-", "never ran", "", ""]
        if run is None
        else [mode, run.run_id, run.status, _stamp(run.finished_at), _counts(run.counts)]
        for mode, run in report.runs.items()
    ]
    table("last runs", ("mode", "run", "status", "finished", "counts"), runs)
    for run in report.runs.values():
        if run is not None and run.status != "done":
            for note in run.notes:
                say(f"  {run.mode} {run.status}: {note}")
    say("")
    queue = [_queue_row(q, at) for q in report.queue]
    queue.append(["total", *(f"{n:,}" for n in report.totals.values()), "", "", ""])
    states = tuple(QUEUE_STATES)
    table(
        "queue",
        ("entity", *states, "waiting", "oldest pending", "next retry"),
        queue,
        right=(*states, "waiting"),
    )
    errors = [[q.entity, e.state, e.code, f"{e.count:,}"] for q in report.queue for e in q.errors]
    if errors:
        say("")
        table(
            "errors behind waiting, failed and dead changes",
            ("entity", "state", "code", "changes"),
            errors,
            right=("changes",),
        )
    say("")
    if report.exceptions:
        rows = [
            [_stamp(e.created_at), e.entity, e.system, e.key, e.code, _short(e.message)]
            for e in report.exceptions
        ]
        table(
            f"exceptions: {report.open_exceptions:,} open, the latest {len(rows)}",
            ("when", "entity", "system", "key", "code", "message"),
            rows,
        )
    else:
        say("exceptions: none open")
    if report.needs_a_person:
        n = report.needs_a_person
        say("")
        say(
            f"{n:,} open {'exception' if n == 1 else 'exceptions'}: "
            f"{'it needs' if n == 1 else 'they need'} a person "
            "(`lockstep explain ENTITY KEY` says why; then `lockstep retry ENTITY KEY` "
            "or `lockstep ignore ENTITY KEY`)"
        )


def _queue_row(q: EntityQueue, at: datetime) -> list[str]:
    from lockstep.ledger.tables import QUEUE_STATES

    oldest = "" if q.oldest_pending is None else _age((at - q.oldest_pending).total_seconds())
    retry = ""
    if q.next_retry is not None:
        due = (q.next_retry - at).total_seconds()
        retry = "due now" if due <= 0 else f"{_stamp(q.next_retry)} (in {_age(due)})"
    counts = [f"{q.counts[s]:,}" for s in QUEUE_STATES]
    return [q.entity, *counts, f"{q.waiting:,}", oldest, retry]


def _counts(counts: Mapping[str, int]) -> str:
    shown = [f"{name} {counts[name]:,}" for name in RUN_COUNTS if counts.get(name)]
    return ", ".join(shown) or "nothing"


# -- explain -------------------------------------------------------------------------------


def _lineage(found: Lineage) -> None:
    gid = found.global_id or "(none: lockstep never linked it)"
    say(f"{found.entity} {gid}, found by {found.found_as} {found.key}")
    say("")
    rows = [
        [
            s.system + (" (owner)" if s.owner else ""),
            s.native_id or "-",
            (s.synced.fingerprint or "-")[:12] if s.synced else "-",
            str(s.synced.version) if s.synced else "",
            _stamp(s.synced.synced_at) if s.synced else "",
            {True: "yes", False: "no", None: "-"}[s.agrees],
        ]
        for s in found.systems
    ]
    table(
        "systems (what each last agreed on)",
        ("system", "native id", "fingerprint", "version", "synced at", "holds golden"),
        rows,
        right=("version",),
    )
    say("")
    golden = found.golden
    if golden is None:
        say("golden record: none")
    else:
        values = [[name, _value(value)] for name, value in golden.values.items()]
        table(
            f"golden record, version {golden.version}, updated {_stamp(golden.updated_at)}",
            ("field", "value"),
            values,
        )
    say("")
    if found.changes:
        shown = len(found.changes)
        title = f"changes: {found.changes_total:,}" + (
            f", the latest {shown}" if shown < found.changes_total else ""
        )
        rows = [
            [
                str(c.id),
                f"{c.origin}:{c.native_id}",
                c.kind,
                c.state,
                str(c.attempts),
                _stamp(c.enqueued_at),
                _stamp(c.available_at) if c.state == "pending" else "",
                _short(c.last_error or ""),
            ]
            for c in found.changes
        ]
        table(
            title,
            ("id", "from", "kind", "state", "attempts", "enqueued", "available", "last error"),
            rows,
            right=("id", "attempts"),
        )
    else:
        say("changes: none in the queue")
    say("")
    if found.exceptions:
        rows = [
            [
                _stamp(e.created_at),
                e.run_id or "",
                e.system,
                e.code,
                (e.resolution or "closed") if e.resolved_at else "open",
                _short(e.message),
            ]
            for e in found.exceptions
        ]
        table(
            f"exceptions: {len(rows)}",
            ("when", "run", "system", "code", "state", "message"),
            rows,
        )
    else:
        say("exceptions: none")


# -- helpers -------------------------------------------------------------------------------


def _json(data: dict[str, Any]) -> None:
    say(jsonlib.dumps(data, indent=2, ensure_ascii=False))


def _stamp(moment: datetime | None) -> str:
    from lockstep.reports.summary import iso_utc

    return "" if moment is None else iso_utc(moment.replace(microsecond=0))


def _age(seconds: float) -> str:
    """``41 s``, ``5 min``, ``3 h 2 min``, ``2 d 4 h``."""
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86_400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86_400} d {s % 86_400 // 3600} h"


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MESSAGE_WIDTH else line[: MESSAGE_WIDTH - 1] + "…"


def _value(value: Any) -> str:
    from lockstep.control.explain import plain

    return jsonlib.dumps(plain(value), ensure_ascii=False)
