"""Third-party clients against the emulator: the scripts in ``bench/peers/``.

Each script starts its own emulator, runs a peer (CumulusCI, tap-salesforce) on a real
workload in the peers' virtualenv, checks the result and prints one JSON line. These
tests run them when ``bench/peers/.venv`` exists (``bash bench/peers/setup.sh``) and
skip otherwise, so a checkout without the peers installed stays green.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PEERS = Path(__file__).resolve().parents[2] / "bench" / "peers"
PYTHON = PEERS / ".venv" / "bin" / "python"

pytestmark = [
    pytest.mark.peers,
    pytest.mark.slow,
    pytest.mark.skipif(
        not PYTHON.exists(), reason="bench/peers/.venv is absent: bash bench/peers/setup.sh"
    ),
]


def run_peer(script: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ)
    # The emulator from the lockstep under test, not whatever LOCKSTEP says elsewhere.
    env["LOCKSTEP"] = str(Path(sys.executable).with_name("lockstep"))
    done = subprocess.run(
        [str(PYTHON), str(PEERS / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing; stderr:\n{done.stderr[-4000:]}"
    summary: dict[str, Any] = json.loads(lines[-1])
    assert done.returncode == 0 and summary["ok"], (
        f"{script} failed: {json.dumps(summary, indent=2)}\nstderr:\n{done.stderr[-4000:]}"
    )
    return summary


def test_cumulusci_loads_and_extracts_a_dataset_with_lookups() -> None:
    summary = run_peer("cumulusci_load_extract.py")
    assert summary["records"]["loaded"] == summary["records"]["extracted"] == 3500
    assert summary["api_calls"]["load"]["api_calls"] > 0


def test_tap_salesforce_discovers_and_syncs_incrementally() -> None:
    summary = run_peer("tap_salesforce_sync.py")
    assert summary["records"]["sync"] == {"Account": 1000, "Contact": 2500}
    changed = summary["records"]["changed"]
    for stream, count in summary["records"]["incremental_sync"].items():
        assert count >= changed[stream]
