"""The one error of the mapping layer.

A ``MappingError`` says that one value of one record cannot be carried across: it is
not in a value map, it cannot be read as the kind it must have, or a transform failed
on it. The reader turns it into a *problem* of the record (the record is reported as
invalid, never dropped); the writer raises it, and the caller reports the record.
"""

from __future__ import annotations

from lockstep.errors import EXIT_FAILED_RECORDS, LockstepError


class MappingError(LockstepError):
    """One value could not be mapped; the message says which and why. ``field`` is the
    native field the message already names, when it names one."""

    exit_code = EXIT_FAILED_RECORDS

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def shown(value: object, limit: int = 60) -> str:
    """``value`` for a message: its repr, shortened, and its type."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{text} ({type(value).__name__})"
