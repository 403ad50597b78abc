"""Settings the schema accepts but nothing in lockstep does yet, or nothing reads.

The schema is written for the whole design (DESIGN.md), ahead of what is built, so a
file may say things no command acts on: Change Data Capture, schedules for
``lockstep run``. Accepting them silently would let a user believe they work, so
every one found is a problem at its place, until the code that implements it lands
(and takes its line out of here). The same goes for a capture setting the binding's
mode never reads (a watermark column on trigger capture): it would do nothing.

Pure over a validated ``Config``; the findings are placed by their path of keys.
"""

from __future__ import annotations

from collections.abc import Iterator

from lockstep.config.entities import Capture
from lockstep.config.models import Config
from lockstep.validation.against_shapes import Finding, Loc

NOT_YET = "not supported yet"

# capture setting -> the modes that read it (``interval_seconds``: every mode but none)
_READ_BY = {
    "column": ("watermark", "poll"),
    "lookback_seconds": ("watermark", "poll"),
    "interval_seconds": ("triggers", "watermark", "poll"),
}


def unsupported(config: Config) -> list[Finding]:
    """Every setting of ``config`` that no command implements or reads."""
    found: list[Finding] = []
    for name, entity in config.entities.items():
        for system, binding in entity.bindings.items():
            if binding.capture is not None:
                where: Loc = ("entities", name, "bindings", system, "capture")
                found.extend(_capture(where, binding.capture))
    if config.run.schedules:
        found.append(
            Finding(
                ("run", "schedules"),
                f"{NOT_YET}: schedules are for `lockstep run`, which does not exist yet; "
                "run `lockstep sync` (a pass every --interval seconds) and the other "
                "commands from your own scheduler (cron, a CI job) meanwhile",
                at_key=True,
            )
        )
    return found


def _capture(where: Loc, capture: Capture) -> Iterator[Finding]:
    if capture.mode == "cdc":
        yield Finding(
            (*where, "mode"),
            f"{NOT_YET}: Change Data Capture ('cdc') is not read yet; use 'poll' "
            "(SystemModstamp polling)",
        )
        return
    given = capture.model_fields_set
    for setting, modes in _READ_BY.items():
        if setting in given and capture.mode not in modes:
            yield Finding(
                (*where, setting),
                f"capture mode '{capture.mode}' does not read '{setting}' (only "
                f"{_words(modes)} do); remove it",
                at_key=True,
            )


def _words(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
