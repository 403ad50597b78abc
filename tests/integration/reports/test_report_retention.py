"""Only finished runs' folders older than the cut-off go; nothing else in reports/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from lockstep.reports.retention import prune_reports

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def run_folder(root: Path, started: datetime, *, finished: bool = True) -> Path:
    folder = root / f"{started:%Y%m%dT%H%M%SZ}-a1b2c3"
    folder.mkdir(parents=True)
    (folder / "processed.csv").write_text("entity\n")
    if finished:
        (folder / "summary.json").write_text("{}")
    return folder


def test_old_finished_runs_go_and_everything_else_stays(tmp_path: Path) -> None:
    old = run_folder(tmp_path, NOW - timedelta(days=8))
    recent = run_folder(tmp_path, NOW - timedelta(days=6, hours=23))
    unfinished = run_folder(tmp_path / "x", NOW - timedelta(days=30), finished=False)
    (tmp_path / "x").rename(tmp_path / "keep")  # not a run folder name at all
    stray = tmp_path / "notes-20261101T000000Z"
    stray.mkdir()
    (stray / "summary.json").write_text("{}")
    lone = run_folder(tmp_path / "y", NOW - timedelta(days=9), finished=False)
    lone_in_root = tmp_path / lone.name
    lone.rename(lone_in_root)

    assert prune_reports(tmp_path, timedelta(days=7), NOW) == 1

    assert not old.exists()
    assert recent.exists() and stray.exists() and lone_in_root.exists()
    assert (tmp_path / "keep" / unfinished.name).exists()
    assert prune_reports(tmp_path / "missing", timedelta(days=7), NOW) == 0
