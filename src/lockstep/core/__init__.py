"""Plain values every stage shares: shapes of objects, rows and changes, write
operations and their results. Frozen; no I/O here."""
