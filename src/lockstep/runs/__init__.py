"""What every command that runs work shares, below the flows that do the work.

- ``scope``: the entities a run goes over, parents first, and the lookups deferred;
- ``select``: reading one side of a binding, mapped to canonical values;
- ``paths``: where the ledger and the reports are;
- ``connect``: the systems a run needs, connected and checked;
- ``lifecycle``: a run from its first connection to its last report line;
- ``interrupt``: Ctrl-C and SIGTERM, taken up at the work's step boundaries.
"""
