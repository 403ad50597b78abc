"""Change capture for SQL tables: ``triggers`` (a change table filled by triggers
lockstep installs), ``watermark`` (a timestamp column), and waking on changes."""
