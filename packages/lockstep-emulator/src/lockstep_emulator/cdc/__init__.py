"""Change Data Capture: every committed write becomes a change event, served over CometD.

The flow, one module each::

    RecordStore write ──▶ recorder (listener, same transaction) ──▶ table (_change_events)
                                                                       │
    CometD client ◀── bayeux (handshake, subscribe+replay, long-poll connect) ◀─┘
                                ▲
                     wakeup (after each commit with events)

``events`` turns a stored row into Salesforce's event shape (pure); ``channels`` maps
channel names to entities; ``clients`` keeps each CometD client's subscriptions and
replay cursors. ``read_events`` is the in-process way to look at the log.
"""

from lockstep_emulator.cdc.events import ChangeEvent
from lockstep_emulator.cdc.table import read_events

__all__ = ["ChangeEvent", "read_events"]
