"""Placeholder: Bulk API 2.0 (``jobs/ingest``, ``jobs/query``) registers here."""

from __future__ import annotations

from lockstep.emulator.api.dispatch import Router


def register(router: Router) -> None:
    return None
