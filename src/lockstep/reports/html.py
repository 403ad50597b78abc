"""``report.html``: one self-contained page that tells a Salesforce administrator how a
run went and what needs their attention, in plain words.

No script, no external file: CSS is inline and a Content-Security-Policy forbids the
rest, so the page can be mailed or attached to a ticket. Every value from the run
(entity names, keys, error messages) is HTML-escaped. A dry run (``plan``) speaks in
the conditional: "would create".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from html import escape

from lockstep.core.counts import Counts
from lockstep.core.plan import DuplicateGroup
from lockstep.reports.codes import advice
from lockstep.reports.summary import Summary

_TITLES = {"plan": "Dry run", "migrate": "Migration", "relink": "Relink"}
_STATUS = {
    "done": "finished",
    "failed": "stopped with an error",
    "interrupted": "was interrupted",
    "running": "is still running",
}
# (Counts field, heading, heading in a dry run)
_COLUMNS = (
    ("selected", "Selected", "Selected"),
    ("created", "Created", "Would create"),
    ("updated", "Updated", "Would update"),
    ("matched", "Linked to existing", "Would link"),
    ("unchanged", "Unchanged", "Unchanged"),
    ("failed", "Failed", "Would fail"),
    ("duplicates", "Possible duplicates", "Possible duplicates"),
    ("skipped", "Skipped", "Skipped"),
)
_FILES = (
    ("processed.csv", "every record written, with its id in the target system"),
    ("exceptions.csv", "every record that was not written, with the reason and bulk job id"),
    ("duplicates.csv", "every group of possible duplicates"),
    ("diff.csv", "what the plan would change, field by field"),
    ("summary.json", "the same figures, for scripts"),
)
_ALWAYS = ("migrate", "created")  # a migration's headline always says how many it created
_MESSAGE_CHARS = 500
_KEYS_SHOWN = 10

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;
margin:0 auto;max-width:62rem;padding:1.5rem}
h1{font-size:1.45rem;margin:.2rem 0 .6rem;padding:.8rem 1rem;border-radius:6px;
border-left:6px solid}
h1.ok{background:#eaf6ec;border-color:#2e7d32}h1.warn{background:#fff6e0;border-color:#c77700}
h1.bad{background:#fdecea;border-color:#c62828}
h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d8dee4;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .2rem}
table{border-collapse:collapse;margin:.4rem 0;width:100%}
th,td{border:1px solid #d8dee4;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}td.n,th.n{text-align:right;white-space:nowrap}
tr.total td{font-weight:600;background:#f8f9fa}td.bad{color:#c62828;font-weight:600}
td.z{color:#9aa5b1}
.muted{color:#5b6673}.card{border:1px solid #d8dee4;border-radius:6px;padding:.2rem 1rem;
margin:.8rem 0}code,.msg{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.msg{background:#f3f5f7;padding:.4rem .6rem;border-radius:4px;white-space:pre-wrap;
word-break:break-word}
"""


def render(
    summary: Summary,
    *,
    top_exceptions: Sequence[tuple[str, int, str]],
    duplicates_sample: Sequence[DuplicateGroup],
    entity_order: Sequence[str],
    duplicate_groups: int | None = None,
) -> str:
    """The page for ``summary``. ``top_exceptions`` is ``(code, records, first message)``
    most frequent first; ``duplicates_sample`` the first groups of ``duplicate_groups``
    (when known) found in all."""
    title = f"{_title(summary)} {summary.run_id}"
    body = [
        _headline(summary),
        _when(summary),
        _entities(summary, entity_order),
        _attention(summary, top_exceptions),
        _duplicates(summary, duplicates_sample, duplicate_groups),
        _deferred(summary),
        _files(),
        _api_calls(summary),
        _notes(summary),
        _footer(summary),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body></html>\n"
    )


def headline(summary: Summary) -> str:
    """The one sentence that says how the run went (plain text)."""
    c = summary.counts
    opening = f"{_title(summary)} {_STATUS.get(summary.status, summary.status)}"
    if summary.mode == "plan":
        would = [f"would create {_n(c.created)}", f"would update {_n(c.updated)}"]
        if c.matched:
            would.append(f"would link {_n(c.matched)} to existing records")
        if c.deleted:
            would.append(f"would delete {_n(c.deleted)}")
        text = f"{opening}: {', '.join(would)}"
        if c.failed:
            text += f"; {_n(c.failed)} would fail — see the list below"
        return text + "; nothing was written."
    figures = (
        (c.created, "created"),
        (c.updated, "updated"),
        (c.matched, "matched and linked"),
        (c.deleted, "deleted"),
    )
    shown = [(n, label) for n, label in figures if n or (summary.mode, label) == _ALWAYS]
    if shown:
        (first, label), rest = shown[0], shown[1:]
        words = [f"{_n(first)} {_plural(first, 'record')} {label}"]
        words += [f"{_n(n)} {label}" for n, label in rest]
    else:
        words = ["nothing was written"]
    tail = f"{_n(c.failed)} failed — see the list below" if c.failed else "nothing failed"
    return f"{opening}: {', '.join(words)}, {tail}."


# -- sections --------------------------------------------------------------------------


def _headline(summary: Summary) -> str:
    c = summary.counts
    if summary.status in ("failed", "interrupted"):
        tone = "bad"
    elif c.failed or summary.status == "running":
        tone = "warn"
    else:
        tone = "ok"
    lines = [f'<h1 class="{tone}">{_e(headline(summary))}</h1>']
    extra = [
        f"{_n(n)} {_plural(n, 'record')} {'was' if n == 1 else 'were'} {what}"
        for n, what in (
            (c.selected, "selected"),
            (c.unchanged, "already up to date"),
            (c.duplicates, "set aside as possible duplicates"),
            (c.skipped, "skipped"),
        )
        if n
    ]
    if extra:
        lines.append(f"<p>{_e('; '.join(extra))}.</p>")
    if summary.mode == "plan":
        lines.append(
            "<p>This was a dry run: nothing was written to any system. "
            "Run <code>lockstep migrate</code> to do it.</p>"
        )
    found = [f"{_n(n)} {name}" for name, n in summary.found.items() if n]
    if summary.mode == "reconcile" and found:
        lines.append(f"<p>Differences found (diff.csv, by finding): {_e(', '.join(found))}.</p>")
    return "\n".join(lines)


def _when(summary: Summary) -> str:
    start = summary.started_at.astimezone(UTC)
    end = summary.finished_at.astimezone(UTC)
    end_text = f"{end:%H:%M:%S} UTC" if end.date() == start.date() else _stamp(end)
    return (
        f'<p class="muted">Started {_e(_stamp(start))}, finished {_e(end_text)} — '
        f"took {_e(duration(summary.duration))}.</p>"
    )


def _entities(summary: Summary, entity_order: Sequence[str]) -> str:
    dry = summary.mode == "plan"
    names = list(dict.fromkeys([*entity_order, *summary.by_entity]))
    names = [name for name in names if name in summary.by_entity]
    head = "".join(f'<th class="n">{_e(dry_h if dry else h)}</th>' for _, h, dry_h in _COLUMNS)
    rows = [f"<tr><th>Record type</th>{head}</tr>"]
    for name in names:
        rows.append(_count_row(_e(name), summary.by_entity[name], ""))
    rows.append(_count_row("All", summary.counts, ' class="total"'))
    return "<h2>Records by type</h2>\n<table>" + "\n".join(rows) + "</table>"


def _count_row(label: str, counts: Counts, attrs: str) -> str:
    cells = []
    for field, _, _ in _COLUMNS:
        value: int = getattr(counts, field)
        css = "n bad" if field == "failed" and value else "n" if value else "n z"
        cells.append(f'<td class="{css}">{_e(_n(value))}</td>')
    return f"<tr{attrs}><td>{label}</td>{''.join(cells)}</tr>"


def _attention(summary: Summary, top: Sequence[tuple[str, int, str]]) -> str:
    parts = ["<h2>What needs attention</h2>"]
    failed = summary.counts.failed
    if not top and not failed:
        parts.append("<p>Nothing: no record failed.</p>")
        return "\n".join(parts)
    total = sum(count for _, count, _ in top) or failed
    verb = "would not be written" if summary.mode == "plan" else "were not written"
    parts.append(
        f"<p>{_e(_n(total))} {_e(_plural(total, 'record'))} {verb}. Each one is listed in "
        '<a href="exceptions.csv">exceptions.csv</a> (it opens in Excel); here they are '
        "grouped by the reason given. Where a bulk job id is shown, open it in Salesforce "
        "under Setup → Monitor → Jobs → Bulk Data Load Jobs to read the full error.</p>"
    )
    for code, count, example in top:
        tip = advice(code)
        message = example if len(example) <= _MESSAGE_CHARS else example[:_MESSAGE_CHARS] + "…"
        parts.append(
            f'<div class="card"><h3><code>{_e(code)}</code> — {_e(_n(count))} '
            f"{_e(_plural(count, 'record'))}</h3>"
            f"<p>{_e(tip.meaning)}</p><p><strong>What to do:</strong> {_e(tip.action)}</p>"
            + (f'<p>Example:</p><div class="msg">{_e(message)}</div>' if message else "")
            + "</div>"
        )
    return "\n".join(parts)


def _duplicates(summary: Summary, sample: Sequence[DuplicateGroup], groups: int | None) -> str:
    if not sample and not summary.counts.duplicates:
        return ""
    verb = "would not create" if summary.mode == "plan" else "did not create"
    parts = [
        "<h2>Possible duplicates</h2>",
        f"<p>lockstep {verb} these records, so as not to add more duplicates. Merge them, "
        "or make the match rule in the configuration stricter, then run again. All of them "
        'are in <a href="duplicates.csv">duplicates.csv</a>.</p>',
    ]
    if groups is not None and groups > len(sample):
        parts.append(
            f'<p class="muted">Showing the first {_e(_n(len(sample)))} of '
            f"{_e(_n(groups))} groups.</p>"
        )
    if sample:
        rows = [
            "<tr><th>Record type</th><th>What happened</th><th>Matched on</th>"
            "<th>Shared value</th><th>Source records</th><th>Existing records</th></tr>"
        ]
        for g in sample:
            if g.kind == "target_matches":
                what = f"matches several existing records in {g.target}"
            else:
                what = "several source records look like the same one"
            rows.append(
                f"<tr><td>{_e(g.entity)}</td><td>{_e(what)}</td><td>{_e(g.rule)}</td>"
                f"<td>{_e(g.key)}</td><td>{_e(_keys(g.source_keys))}</td>"
                f"<td>{_e(_keys(g.candidates))}</td></tr>"
            )
        parts.append("<table>" + "\n".join(rows) + "</table>")
    return "\n".join(parts)


def _deferred(summary: Summary) -> str:
    n = summary.deferred
    if not n:
        return ""
    links = _plural(n, "lookup")
    if summary.mode == "plan":
        text = (
            f"{_n(n)} {links} (links between records) would be left empty at first, "
            "because the record they point to is not there yet. After "
            "<code>lockstep migrate</code>, run <code>lockstep relink</code> to fill them in."
        )
    elif summary.mode == "relink":
        text = (
            f"{_n(n)} {links} still wait for the record they point to. Migrate those "
            "records, then run <code>lockstep relink</code> again."
        )
    else:
        text = (
            f"{_n(n)} {links} (links between records) were left empty because the record "
            "they point to was not there yet. Run <code>lockstep relink</code> to fill "
            "them in."
        )
    return f"<h2>Links still to fill</h2>\n<p>{text}</p>"


def _files() -> str:
    items = "".join(
        f'<li><a href="{_e(name)}">{_e(name)}</a> — {_e(what)}</li>' for name, what in _FILES
    )
    return f"<h2>Files of this run</h2>\n<ul>{items}</ul>"


def _api_calls(summary: Summary) -> str:
    if not summary.api_calls:
        return "<h2>API calls</h2>\n<p>None.</p>"
    rows = ['<tr><th>System</th><th class="n">Calls</th></tr>']
    rows += [
        f'<tr><td>{_e(system)}</td><td class="n">{_e(_n(summary.api_calls[system]))}</td></tr>'
        for system in sorted(summary.api_calls)
    ]
    return '<h2>API calls</h2>\n<table style="width:auto">' + "".join(rows) + "</table>"


def _notes(summary: Summary) -> str:
    if not summary.notes:
        return ""
    items = "".join(f"<li>{_e(note)}</li>" for note in summary.notes)
    return f"<h2>Notes</h2>\n<ul>{items}</ul>"


def _footer(summary: Summary) -> str:
    bits = [f"Run {summary.run_id}", f"mode {summary.mode}", f"status {summary.status}"]
    if summary.config:
        bits.append(f"configuration {summary.config}")
    if summary.reports:
        bits.append(f"reports in {summary.reports}")
    return f'<p class="muted"><small>{_e(" · ".join(bits))}</small></p>'


# -- words -----------------------------------------------------------------------------


def duration(span: timedelta) -> str:
    """``less than a second``, ``12 s``, ``3 min 7 s``, ``2 h 5 min``."""
    seconds = int(span.total_seconds())
    if seconds < 1:
        return "less than a second"
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _title(summary: Summary) -> str:
    return _TITLES.get(summary.mode, str(summary.mode).capitalize())


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _keys(keys: Iterable[str]) -> str:
    keys = list(keys)
    shown = ", ".join(keys[:_KEYS_SHOWN])
    more = len(keys) - _KEYS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _plural(n: int, noun: str) -> str:
    return noun if n == 1 else noun + "s"


def _n(n: int) -> str:
    return f"{n:,}"


def _e(value: object) -> str:
    return escape(str(value), quote=True)
