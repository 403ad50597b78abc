"""``Connector.apply`` for Salesforce: ops grouped, each group by its cheapest path.

Ops are grouped by action (insert, update, upsert per external-id field, delete);
groups run in the order of their first op. A group of ``bulk_threshold`` ops or more
is one Bulk API 2.0 job; a smaller one goes through sObject Collections,
``batch_size`` records a call. N records thus cost ⌈N/200⌉ calls, or one job's calls.

A whole call that fails before anything was written is raised. Once something was
written, raising would lose those results (and a retry would insert those records
again), so the ops not done get a result each instead: ``not_done(failure)``, a
transient record error coded after the failure (``UNREACHABLE``, ``CONTENDED``,
``RATE_LIMITED``…), so they wait for a retry like the whole call would have.
"""

from __future__ import annotations

from collections.abc import Sequence

from lockstep.config.systems import SalesforceSystem
from lockstep.connectors.base import not_done
from lockstep.connectors.salesforce import collections
from lockstep.connectors.salesforce.bulk import BulkJob
from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.records import groups_of
from lockstep.core.ops import Op, OpResult
from lockstep.errors import SystemFailure


def apply(
    client: SalesforceClient, config: SalesforceSystem, bulk: BulkJob, obj: str, ops: Sequence[Op]
) -> list[OpResult]:
    """One result per op, in input order."""
    results: list[OpResult | None] = [None] * len(ops)
    written = False
    try:
        for group in groups_of(ops):
            members = [ops[i] for i in group.indices]
            if len(members) >= config.bulk_threshold:
                done = bulk.run(obj, group.action, group.match_on, members)
                for index, result in zip(group.indices, done, strict=True):
                    results[index] = result
                written = True
                continue
            step = config.batch_size
            for start in range(0, len(members), step):
                chunk = members[start : start + step]
                done = collections.write(client, obj, group.action, group.match_on, chunk)
                for index, result in zip(group.indices[start : start + step], done, strict=True):
                    results[index] = result
                written = True
    except SystemFailure as failure:
        if not written:
            raise
        error = not_done(failure)
        for index, op in enumerate(ops):
            if results[index] is None:
                results[index] = OpResult(ok=False, native_id=op.native_id, error=error)
    return [result for result in results if result is not None]
