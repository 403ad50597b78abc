"""Bulk API 2.0 (``jobs/ingest``, ``jobs/query``): see ``lockstep_emulator.api.bulk2``."""

from __future__ import annotations

from lockstep_emulator.api import bulk2
from lockstep_emulator.api.dispatch import Router


def register(router: Router) -> None:
    bulk2.register(router)
