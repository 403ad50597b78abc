"""What kind of run a run is, and how it ended: the ``mode`` and ``status`` of the
ledger's run rows and of ``summary.json``, shared by every command that runs work."""

from __future__ import annotations

from typing import Literal

# every command that writes reports
RunMode = Literal["plan", "migrate", "relink", "sync", "reconcile"]
Status = Literal["running", "done", "failed", "interrupted"]
