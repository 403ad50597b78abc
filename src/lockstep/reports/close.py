"""The end of a run that keeps a report whatever it finished as, but failing: its
summary is stored in the ledger's run row and written as ``summary.json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstep.core.counts import Tally
from lockstep.core.status import RunMode, Status
from lockstep.ledger import Ledger, Run
from lockstep.reports.summary import Summary, summarize
from lockstep.reports.writer import ReportWriter


def close_run(
    ledger: Ledger,
    run: Run,
    mode: RunMode,
    status: Status,
    counts: Mapping[str, Tally],
    api_calls: Mapping[str, int],
    report: ReportWriter,
    **extras: Any,
) -> Summary:
    """Summarize ``run``, record it in the ledger, and finish its report unless the
    run failed (a failed run's report stays as far as it got)."""
    summary = summarize(
        run.run_id,
        mode,
        status,
        run.started_at,
        counts,
        api_calls,
        reports=str(report.directory),
        **extras,
    )
    ledger.finish_run(run.run_id, status, summary.as_dict())
    if status != "failed":
        report.finish(summary)
    return summary
