"""``lockstep demo`` runs end to end as a user runs it: a real subprocess."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_every_step_and_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lockstep", "demo", "--accounts", "60"],
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
