"""``run:``: where state and reports go (and, once ``lockstep run`` exists, what runs on a
schedule)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from lockstep.config.base import Strict
from lockstep.config.urls import normalize_url


class Schedule(Strict):
    """A command to run on a cron schedule by `lockstep run`. Not supported yet:
    `lockstep run` does not exist, so `run.schedules` is refused."""

    name: str = Field(description="A name for logs and the dashboard.")
    cron: str = Field(
        description="A five-field cron expression (minute hour day-of-month month "
        "day-of-week), such as `0 * * * *` for hourly."
    )
    command: Literal["sync", "reconcile", "migrate", "relink", "cleanup"] = Field(
        "sync", description="What to run."
    )
    entities: list[str] = Field(
        default_factory=list, description="Limit the run to these entities (default: all)."
    )


class ReconcileSettings(Strict):
    """How `lockstep reconcile --apply` guards the records it repairs."""

    max_delete_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="The largest share (0 to 1) of an entity's linked records that "
        "`--apply` may detach (a record gone from a system it is linked in loses the "
        "link and is created there again); above it `--apply` is refused, unless "
        "`--allow-mass-delete` is given.",
    )


class RunSettings(Strict):
    """Where lockstep keeps its state and its reports."""

    ledger: str = Field(
        "sqlite:///.lockstep/ledger.db",
        description="The ledger's SQLAlchemy URL: SQLite (the default, in WAL mode) or "
        "PostgreSQL for several workers (`postgres://…` is taken too). Created by the "
        "first command that runs work, once its checks have passed.",
    )
    reports: Path = Field(Path("reports"), description="Where each run writes `reports/<run-id>/`.")
    keep_days: int = Field(
        7,
        ge=1,
        description="How long `lockstep sync` keeps finished runs' report folders and the "
        "changes it carried (the queue's `done` items); older ones are removed.",
    )
    reconcile: ReconcileSettings = Field(
        default_factory=ReconcileSettings, description="`lockstep reconcile`'s guard."
    )
    schedules: list[Schedule] = Field(
        default_factory=list,
        description="Scheduled commands, for `lockstep run`. Not supported yet: refused "
        "(run `lockstep sync`, or the commands from cron, meanwhile).",
    )

    @field_validator("ledger", mode="before")
    @classmethod
    def _driver(cls, value: object) -> object:
        return normalize_url(value) if isinstance(value, str) else value
