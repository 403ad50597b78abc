"""Keeping ``reports/`` to a size: a long-running ``lockstep sync`` writes a report per
pass. Only finished runs' folders (a ``summary.json`` inside, the run-id name lockstep
gives them) older than the cut-off are removed; anything else in the folder is left."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lockstep.reports.writer import SUMMARY

RUN_FOLDER = re.compile(r"^(\d{8}T\d{6}Z)-[0-9a-f]{6}$")


def prune_reports(root: Path, older_than: timedelta, now: datetime) -> int:
    """Remove the finished run folders in ``root`` started before ``now - older_than``;
    how many."""
    if not root.is_dir():
        return 0
    cutoff = now.astimezone(UTC) - older_than
    removed = 0
    for folder in root.iterdir():
        found = RUN_FOLDER.match(folder.name)
        if found is None or not folder.is_dir() or not (folder / SUMMARY).is_file():
            continue
        started = datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if started < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
