"""Sync: capture ─→ ledger queue ─→ decide ─→ apply ─→ write-back ─→ ledger.

``capture`` reads each bound system's changes into the ledger's queue; ``drain``
claims them, ``decide`` (pure) says what each means for every other system (ownership,
conflicts, lock rules, echoes), and the writes go through ``Connector.apply``;
``run.sync_once`` is one pass of both.
"""
