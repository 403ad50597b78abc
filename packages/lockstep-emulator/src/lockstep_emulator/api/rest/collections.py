"""sObject Collections (``composite/sobjects``): up to 200 records per call.

Each record runs in its own savepoint, so one bad record leaves the others alone;
under ``allOrNone`` any failure rolls the whole call back and the records that would
have succeeded report ``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lockstep_emulator.api.dispatch import Call, Reply, Router
from lockstep_emulator.api.rest.sobjects import _external_field, _object, upsert_one
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.schema.model import ObjectDef
from lockstep_emulator.store.records import canonical_id

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

MAX_RECORDS = 200
MAX_TYPE_CHUNKS = 10

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}


class _RollBack(Exception):
    """Raised inside the transaction to undo every record of an allOrNone call."""


def _payload(call: Call) -> tuple[list[Any], bool]:
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SalesforceError("JSON_PARSER_ERROR", "The request body must have a records array")
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise SalesforceError(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
        )
    return records, bool(body.get("allOrNone", False))


def _record_type(ctx: ApiContext, record: Any) -> ObjectDef:
    if not isinstance(record, dict):
        raise SalesforceError("JSON_PARSER_ERROR", "Each record must be a JSON object")
    attrs = record.get("attributes")
    name = attrs.get("type") if isinstance(attrs, dict) else None
    if not name:
        raise SalesforceError(
            "INVALID_TYPE", "Must send a concrete entity type.", fields=["attributes.type"]
        )
    obj = ctx.org.schema.get(str(name))
    if obj is None:
        raise SalesforceError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
    return obj


def _check_chunks(ctx: ApiContext, records: list[Any]) -> None:
    chunks, last = 0, None
    for r in records:
        attrs = r.get("attributes") if isinstance(r, dict) else None
        name = attrs.get("type") if isinstance(attrs, dict) else None
        if name != last:
            chunks, last = chunks + 1, name
    if chunks > MAX_TYPE_CHUNKS:
        raise SalesforceError(
            "INVALID_BATCH_REQUEST",
            f"Can't have more than {MAX_TYPE_CHUNKS} chunks in a single operation",
        )


Op = Callable[[Any], dict[str, Any]]


def run_each(
    ctx: ApiContext,
    items: list[Any],
    all_or_none: bool,
    op: Op,
    fail_id: Callable[[Any], str | None],
    upserting: bool = False,
) -> list[dict[str, Any]]:
    """Apply ``op`` to each item in its own savepoint; honour allOrNone.

    Every result of an upsert (an UpsertResult) carries ``created``, false when it failed.
    """
    failure: dict[str, Any] = {"created": False} if upserting else {}
    db = ctx.org.db
    results: list[dict[str, Any]] = []
    failed = False
    try:
        with db.transaction():
            for item in items:
                try:
                    with db.transaction():
                        results.append(op(item))
                except SalesforceError as exc:
                    failed = True
                    results.append(
                        {
                            "id": fail_id(item),
                            "success": False,
                            "errors": [exc.as_status()],
                            **failure,
                        }
                    )
            if failed and all_or_none:
                raise _RollBack
    except _RollBack:
        for r in results:
            if r["success"]:
                r.update(success=False, errors=[dict(ROLLED_BACK)], id=None)
                r.pop("created", None)
                r.update(failure)
    return results


def create_many(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    records, all_or_none = _payload(call)
    _check_chunks(ctx, records)

    def op(record: Any) -> dict[str, Any]:
        obj = _record_type(ctx, record)
        if any(k.lower() == "id" for k in record):
            raise SalesforceError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "cannot specify Id in an insert call",
                fields=["Id"],
            )
        rid = ctx.org.store.create(obj, record, call.session.user_id)
        return {"id": rid, "success": True, "errors": []}

    return Reply(200, run_each(ctx, records, all_or_none, op, lambda r: None))


def _record_id(record: Any) -> str | None:
    if isinstance(record, dict):
        for k, v in record.items():
            if k.lower() == "id" and isinstance(v, str):
                return canonical_id(v) or v
    return None


def update_many(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    records, all_or_none = _payload(call)
    _check_chunks(ctx, records)

    def op(record: Any) -> dict[str, Any]:
        obj = _record_type(ctx, record)
        rid = _record_id(record)
        if rid is None:
            raise SalesforceError(
                "MISSING_ARGUMENT", "Id not specified in an update call", fields=["Id"]
            )
        body = {k: v for k, v in record.items() if k.lower() != "id"}
        ctx.org.store.update(obj, rid, body, call.session.user_id)
        return {"id": canonical_id(rid), "success": True, "errors": []}

    return Reply(200, run_each(ctx, records, all_or_none, op, _record_id))


def upsert_many(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    records, all_or_none = _payload(call)
    obj = _object(ctx, p["type"])
    f = _external_field(obj, p["field"])

    def op(record: Any) -> dict[str, Any]:
        rtype = _record_type(ctx, record)
        if rtype.name != obj.name:
            raise SalesforceError(
                "INVALID_TYPE", f"record type {rtype.name} does not match {obj.name}"
            )
        value = next((v for k, v in record.items() if k.lower() == f.name.lower()), None)
        if f.name == "Id":
            value = _record_id(record)
        if value in (None, ""):
            raise SalesforceError("MISSING_ARGUMENT", f"{f.name} not specified", fields=[f.name])
        body = {k: v for k, v in record.items() if k.lower() not in (f.name.lower(), "id")}
        kind, found = upsert_one(ctx, call, obj, f, str(value), body)
        if kind == "multiple":
            raise SalesforceError(
                "DUPLICATE_EXTERNAL_ID",
                f"{f.name}: more than one record found for external id field: {found}",
                fields=[f.name],
            )
        return {"id": found, "success": True, "errors": [], "created": kind == "created"}

    return Reply(200, run_each(ctx, records, all_or_none, op, lambda r: None, upserting=True))


def delete_many(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    ids = [i for i in call.query.get("ids", "").split(",") if i.strip()]
    if len(ids) > MAX_RECORDS:
        raise SalesforceError(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
        )
    all_or_none = call.query.get("allOrNone", "false").lower() == "true"
    store = ctx.org.store

    def op(raw: str) -> dict[str, Any]:
        rid = canonical_id(raw.strip())
        obj = store.object_of_id(rid) if rid else None
        if rid is None or obj is None:
            raise SalesforceError("MALFORMED_ID", f"malformed id {raw}")
        found = store.exists(rid)
        if found is None:
            raise SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if found[1]:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted")
        store.delete(obj, rid, call.session.user_id)
        return {"id": rid, "success": True, "errors": []}

    return Reply(200, run_each(ctx, ids, all_or_none, op, lambda raw: canonical_id(raw) or raw))


def retrieve_many(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    if call.method == "POST":
        body = call.json()
        if not isinstance(body, dict):
            raise SalesforceError("JSON_PARSER_ERROR", "Expected an object with ids and fields")
        ids, fields = body.get("ids") or [], body.get("fields") or []
    else:
        ids = [i for i in call.query.get("ids", "").split(",") if i]
        fields = [f for f in call.query.get("fields", "").split(",") if f]
    if not fields:
        raise SalesforceError("MISSING_ARGUMENT", "fields must be specified")
    if len(ids) > 2000:
        raise SalesforceError("EXCEEDED_ID_LIMIT", "cannot retrieve more than 2000 records")
    out: list[Any] = []
    for rid in ids:
        try:
            out.append(ctx.org.store.get(obj, str(rid), fields, api_version=call.version))
        except SalesforceError as exc:
            if exc.error_code != "NOT_FOUND":
                raise
            out.append(None)
    return Reply(200, out)


def register(router: Router) -> None:
    base = "composite/sobjects"
    router.add("POST", base, create_many)
    router.add("PATCH", base, update_many)
    router.add("DELETE", base, delete_many)
    router.add("PATCH", base + r"/(?P<type>\w+)/(?P<field>\w+)", upsert_many)
    router.add("GET POST", base + r"/(?P<type>\w+)", retrieve_many)
