"""Bulk API 2.0 (``jobs/ingest``, ``jobs/query``): see ``lockstep.emulator.api.bulk2``."""

from __future__ import annotations

from lockstep.emulator.api import bulk2
from lockstep.emulator.api.dispatch import Router


def register(router: Router) -> None:
    bulk2.register(router)
