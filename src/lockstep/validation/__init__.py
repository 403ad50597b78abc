"""``lockstep validate``: the config checked against the systems it names."""
