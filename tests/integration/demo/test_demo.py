"""``lockstep demo`` runs end to end as a user runs it: a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_runs_both_seed_scenarios_and_every_check_holds(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lockstep", "demo", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Seed 003" in out and "Seed 002" in out
    assert "✗" not in out
    checks = out.count("✓")
    assert checks >= 16, out
    assert f"{checks} of {checks} checks held" in out
    assert "Traceback" not in done.stderr
    for scenario in ("ams-migration", "org-sync"):
        runs = sorted((tmp_path / scenario / "reports").iterdir())
        assert runs, scenario
        assert all((run / "summary.json").is_file() for run in runs)
        assert all((run / "report.html").is_file() for run in runs)


def test_the_emulator_tour_runs_every_step_and_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lockstep", "demo", "--tour", "--accounts", "60"],
        capture_output=True,
        text=True,
        timeout=180,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("✓") == 10, out
    assert "60 Accounts created in 1 Collections calls" in out
    assert "upsert answered 201 (created) then 200 (updated)" in out
    assert "query sees 0, queryAll sees it with IsDeleted=True" in out
    assert "Traceback" not in done.stderr


def test_demo_rejects_bad_options_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lockstep", "demo", "--accounts", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--accounts" in done.stderr
