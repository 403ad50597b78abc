"""An entity's lock rule, judged one way for sync and reconcile alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstep.expr import Expr, holds


def locked(lock: Expr | None, golden: Mapping[str, Any] | None, parents: Mapping[str, Any]) -> bool:
    """Whether the lock rule holds for the record as the golden record has it, with
    each reference replaced by its parent's golden record (``contract.status``)."""
    if lock is None or golden is None:
        return False
    return holds(lock, {**golden, **parents})
