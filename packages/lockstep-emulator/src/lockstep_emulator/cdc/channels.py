"""Which CometD channel carries which entity's change events.

``/data/ChangeEvents`` carries every entity; ``/data/AccountChangeEvent`` one
standard object; a custom object drops the ``c`` of its suffix, so ``Invoice__c``
is ``/data/Invoice__ChangeEvent``. Names are matched exactly, as Salesforce does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lockstep_emulator.schema.model import Schema

ALL_CHANGES = "/data/ChangeEvents"


def channel_of(entity: str) -> str:
    """The single-entity channel of ``entity``."""
    stem = entity[:-1] if entity.endswith("__c") else entity
    return f"/data/{stem}ChangeEvent"


@dataclass(frozen=True)
class Channels:
    """The channels one org serves: channel name → entity (None: every entity)."""

    entities: Mapping[str, str | None]

    @classmethod
    def of(cls, schema: Schema) -> Channels:
        table: dict[str, str | None] = {ALL_CHANGES: None}
        table.update({channel_of(obj.name): obj.name for obj in schema})
        return cls(table)

    def exists(self, channel: str) -> bool:
        return channel in self.entities

    def entity(self, channel: str) -> str | None:
        """The one entity ``channel`` carries, or None for ``/data/ChangeEvents``."""
        return self.entities[channel]
