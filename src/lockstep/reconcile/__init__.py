"""Reconcile: snapshot ─→ line up by global id ─→ compare with each field's owner
(``compare``) ─→ classify each difference (``findings``) ─→ report (diff.csv) ─→ with
``--apply``, plan the repairs (``repairs``), let the mass-delete guard (``guard``) have
its say, and repair through sync's own path (the owners' records queued as changes, the
systems that disagree marked behind, the queue drained).
"""
