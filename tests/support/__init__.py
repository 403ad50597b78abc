"""What the test folders share, and the benchmarks with them: the emulator orgs of a
session (``emulators``), the sync tests' world (``sync_world``, also the world of the
reconcile and control tests and of ``bench/sync_bench.py``) and the connector tests'
widgets (``widgets``, also ``lockstep validate``'s org and ``bench/connectors_bench.py``'s).

Imported as ``tests.support``: pytest puts the repository's root on ``sys.path``
(``pythonpath`` in ``pyproject.toml``), and the benchmarks run as modules from the root
(``python -m bench.sync_bench``). A helper only one folder uses stays in that folder.
"""
