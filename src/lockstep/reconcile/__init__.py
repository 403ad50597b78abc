"""Reconcile: snapshot ─→ line up by global id ─→ compare with each field's owner ─→
report (diff.csv) ─→ with ``--apply``, repair through sync's own path (the owners'
records queued as changes, the systems that disagree marked behind, the queue drained).
"""
