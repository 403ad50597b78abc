"""Migration: select → match → plan (report) → apply parents first → relink deferred lookups."""
