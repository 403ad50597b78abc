"""What a run tells people: ``reports/<run-id>/`` (CSV files streamed while the run
goes, ``summary.json`` and a one-page ``report.html`` at the end) and the progress shown
on the terminal while it runs."""

from lockstep.reports.progress import Progress, make_progress
from lockstep.reports.summary import Summary
from lockstep.reports.writer import ReportWriter

__all__ = ["Progress", "ReportWriter", "Summary", "make_progress"]
