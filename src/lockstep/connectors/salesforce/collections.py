"""Writes through sObject Collections: up to 200 records a call, ``allOrNone=false``.

==========  ==============================================  ==========================
insert      ``POST composite/sobjects``                     records with ``attributes``
update      ``PATCH composite/sobjects``                    records with ``Id``
upsert      ``PATCH composite/sobjects/{obj}/{extField}``   records with the field
delete      ``DELETE composite/sobjects?ids=…``             ids only
==========  ==============================================  ==========================

Salesforce answers one result per record, in order; a record that fails does so
alone. An insert is not resent after a call that may have reached Salesforce and got
no answer (see ``client``): its records come back ``OUTCOME_UNKNOWN`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.failures import OutcomeUnknown
from lockstep.connectors.salesforce.records import (
    OUTCOME_UNKNOWN,
    Action,
    fields_of,
    record_error,
)
from lockstep.connectors.salesforce.values import to_json
from lockstep.core.ops import Op, OpResult
from lockstep.errors import Terminal


def write(
    client: SalesforceClient, obj: str, action: Action, match_on: str | None, ops: Sequence[Op]
) -> list[OpResult]:
    """One call for ``ops`` (at most 200); one result per op, in order."""
    if action == "delete":
        ids = ",".join(str(op.native_id) for op in ops)
        params = {"ids": ids, "allOrNone": "false"}
        reply = client.rest("DELETE", "composite/sobjects", params=params)
    else:
        records = [
            {"attributes": {"type": obj}, **{k: to_json(v) for k, v in fields_of(op).items()}}
            for op in ops
        ]
        body = {"allOrNone": False, "records": records}
        if action == "insert":
            try:
                reply = client.rest("POST", "composite/sobjects", body=body, resend_safe=False)
            except OutcomeUnknown as unknown:
                return [OpResult.failed(OUTCOME_UNKNOWN, unknown.message) for _ in ops]
        elif action == "update":
            reply = client.rest("PATCH", "composite/sobjects", body=body)
        else:
            reply = client.rest("PATCH", f"composite/sobjects/{obj}/{match_on}", body=body)
    if not isinstance(reply, list) or len(reply) != len(ops):
        raise Terminal(client.system, f"sObject Collections answered {reply!r:.200} for {len(ops)}")
    return [result_of(action, op, entry) for op, entry in zip(ops, reply, strict=True)]


def result_of(action: Action, op: Op, entry: Mapping[str, Any]) -> OpResult:
    native_id = entry.get("id") or op.native_id
    if entry.get("success"):
        created = action == "insert" or (action == "upsert" and bool(entry.get("created")))
        return OpResult(ok=True, native_id=native_id, created=created)
    return OpResult(ok=False, native_id=native_id, error=record_error(entry.get("errors") or ()))
