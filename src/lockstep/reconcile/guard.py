"""The mass-delete guard: ``--apply`` refuses to detach a large share of an entity.

Reconcile never deletes a record, but ``--apply`` detaches: a record linked in a
system where it is gone (``link_broken``) loses that link and is created there again.
When many records are gone at once (a sandbox refresh, an object emptied by mistake, a
filter that now selects nothing), that is almost always the wrong repair, so when more
than ``run.reconcile.max_delete_share`` of an entity's linked records would be
detached, the whole ``--apply`` is refused before anything is queued or unlinked,
unless ``--allow-mass-delete`` says otherwise. The run's report is still complete:
``diff.csv`` lists what would have been detached.

Exit 3 ("could not run"), not 2: the command and config are right, the systems' state
stops the repair until a person looks, as an open breaker does; nor 1, which says the
repairs ran.
"""

from __future__ import annotations

from dataclasses import dataclass

from lockstep.errors import EXIT_CANNOT_RUN, LockstepError
from lockstep.reports.summary import Summary


@dataclass(frozen=True)
class Share:
    """Of ``linked`` records of ``entity`` (its global ids compared), ``detached``
    would lose a link."""

    entity: str
    detached: int
    linked: int

    def over(self, limit: float) -> bool:
        return self.linked > 0 and self.detached > limit * self.linked


class MassDeleteRefused(LockstepError):
    """``--apply`` would detach more than the allowed share of an entity's records.
    ``summary`` is the refused run's, for the command to print."""

    exit_code = EXIT_CANNOT_RUN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.summary: Summary | None = None


def refusal(shares: list[Share], limit: float) -> str | None:
    """Why ``--apply`` is refused (each entity over ``limit``), or ``None``."""
    over = [s for s in shares if s.over(limit)]
    if not over:
        return None
    each = "; ".join(
        f"{s.entity}: {s.detached:,} of {s.linked:,} linked records ({s.detached / s.linked:.0%})"
        for s in over
    )
    return (
        f"--apply refused: it would detach {each} (records gone from a system they are "
        f"linked in), more than run.reconcile.max_delete_share ({limit * 100:g}%); nothing was "
        "queued or unlinked: see diff.csv (finding link_broken), and pass "
        "--allow-mass-delete to repair them anyway"
    )
