"""What the test folders share, and the benchmarks with them:

- ``emulators``: the emulator orgs of a session, one process per org;
- ``sync_world``: the sync tests' world, also the world of the reconcile and control
  tests and of ``bench/sync_bench.py``;
- ``widgets``: the connector tests' widget and its org, also ``lockstep validate``'s org
  and ``bench/connectors_bench.py``'s;
- ``looks``: looks at an org (records by SOQL, the write calls it counted);
- ``databases``: database URL fixtures parametrized over SQL engines, and tables on them.

Imported as ``tests.support``: pytest puts the repository's root on ``sys.path``
(``pythonpath`` in ``pyproject.toml``), and the benchmarks run as modules from the root
(``python -m bench.sync_bench``). A helper only one folder uses stays in that folder.
"""
