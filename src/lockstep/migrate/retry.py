"""``--retry-failed``: a filter that reads only the records the last migrate could not
carry, quoted as the source system wants its literals."""

from __future__ import annotations

from collections.abc import Sequence

from lockstep.config.systems import SalesforceSystem, SqlSystem


def in_list(system: SalesforceSystem | SqlSystem, field: str, keys: Sequence[str]) -> str:
    """A filter selecting ``keys`` (for ``--retry-failed``), quoted for the system."""
    if not keys:
        return "1=2"
    if isinstance(system, SqlSystem):  # SQL doubles a quote
        literals = ("'" + k.replace("'", "''") + "'" for k in keys)
    else:  # SOQL escapes with a backslash
        literals = ("'" + k.replace("\\", "\\\\").replace("'", "\\'") + "'" for k in keys)
    return f"{field} IN ({', '.join(literals)})"
