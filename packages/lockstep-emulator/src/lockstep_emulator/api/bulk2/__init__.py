"""Bulk API 2.0 (``/services/data/vNN.0/jobs/``): ingest and query jobs, run in the
background as Salesforce runs them.

    client ──▶ ingest_api / query_api ──▶ service (JobStore + one worker per kind)
                                                  │
           ingest: uploads (dialect) ─▶ columns ─▶ operations ─▶ store.batch* ─▶ results
           query:  SOQL compiler ─▶ csv_layout ─▶ extract (CSV file + index) ─▶ pages

Modules: ``model`` (the job value, its states and JSON shapes), ``jobstore`` (table
``_bulk2_jobs`` and the job directories), ``service`` (workers, resume on start),
``lifecycle`` (state moves that respect an abort), ``dialect`` (delimiters, line
endings, finding rows in raw bytes), ``columns`` (header → fields), ``operations``
(a chunk of rows → batch writes), ``ingest`` (a job, chunk by chunk, durably),
``results`` (result files), ``csv_layout``, ``extract`` and ``pages`` (query jobs:
SQL rows as CSV lines, the results file, pages by ``maxRecords`` and ``locator``),
``common`` and ``errors`` (what the routes share). The store's batch writes
(``store.batch*``) are the fast path every chunk goes through; Bulk API 1.0 reuses
``columns``, ``operations``, ``dialect`` and ``extract``.
"""

from __future__ import annotations

from lockstep_emulator.api.bulk2 import ingest_api, query_api
from lockstep_emulator.api.dispatch import Router


def register(router: Router) -> None:
    ingest_api.register(router)
    query_api.register(router)
