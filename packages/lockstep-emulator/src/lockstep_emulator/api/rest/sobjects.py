"""``sobjects``: describe, CRUD, external-id get/upsert/delete, getUpdated/getDeleted."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus

from lockstep_emulator.api.dispatch import Call, Reply, Router
from lockstep_emulator.api.rest.describe import global_describe, object_describe, sobject_summary
from lockstep_emulator.errors import NotFound, SalesforceError
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef
from lockstep_emulator.store.layout import format_datetime, parse_datetime
from lockstep_emulator.store.records import canonical_id, record_url

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

UPDATED_WINDOW = timedelta(days=30)
DELETED_WINDOW = timedelta(days=15)


def body_object(call: Call) -> dict[str, Any]:
    """The request body as a JSON object, or 400 JSON_PARSER_ERROR."""
    body = call.json()
    if not isinstance(body, dict):
        raise SalesforceError(
            "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject from a non-object value"
        )
    return body


def _object(ctx: ApiContext, name: str) -> ObjectDef:
    obj = ctx.org.schema.get(name)
    if obj is None:
        raise NotFound()
    return obj


def describe_all(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return Reply(200, global_describe(call.version, ctx.org.schema))


def object_info(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    return Reply(200, {"objectDescribe": sobject_summary(call.version, obj), "recentItems": []})


def describe_one(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return Reply(200, object_describe(call.version, _object(ctx, p["type"])))


def create(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    body = body_object(call)
    with ctx.org.db.transaction():
        rid = ctx.org.store.create(obj, body, call.session.user_id)
    return Reply(201, {"id": rid, "success": True, "errors": []})


def get_record(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    fields = [f for f in call.query.get("fields", "").split(",") if f.strip()]
    return Reply(200, ctx.org.store.get(obj, p["id"], fields or None, api_version=call.version))


def update(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    body = body_object(call)
    with ctx.org.db.transaction():
        ctx.org.store.update(obj, p["id"], body, call.session.user_id)
    return Reply(204)


def delete(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    with ctx.org.db.transaction():
        ctx.org.store.delete(obj, p["id"], call.session.user_id)
    return Reply(204)


def _external_field(obj: ObjectDef, name: str) -> FieldDef:
    f = obj.field(name)
    if f is None or not (f.external_id or f.type is FieldType.ID or f.id_lookup):
        raise NotFound(f"Provided external ID field does not exist or is not accessible: {name}")
    return f


def _matches(ctx: ApiContext, obj: ObjectDef, f: FieldDef, value: str) -> list[str]:
    if f.type is FieldType.ID:
        rid = canonical_id(value)
        if rid is None or rid[:3] != obj.key_prefix:
            return []
        found = ctx.org.store.exists(rid)
        return [rid] if found is not None and not found[1] else []
    return ctx.org.store.find_by_field(obj, f, value)


def _multiple(call: Call, obj: ObjectDef, ids: list[str]) -> Reply:
    return Reply(300, [record_url(call.version, obj.name, i) for i in ids])


def get_by_external(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    f = _external_field(obj, p["field"])
    value = unquote_plus(p["value"])
    ids = _matches(ctx, obj, f, value)
    if not ids:
        raise NotFound()
    if len(ids) > 1:
        return _multiple(call, obj, ids)
    fields = [x for x in call.query.get("fields", "").split(",") if x.strip()]
    return Reply(200, ctx.org.store.get(obj, ids[0], fields or None, api_version=call.version))


def delete_by_external(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    f = _external_field(obj, p["field"])
    ids = _matches(ctx, obj, f, unquote(p["value"]))
    if not ids:
        raise NotFound()
    if len(ids) > 1:
        return _multiple(call, obj, ids)
    with ctx.org.db.transaction():
        ctx.org.store.delete(obj, ids[0], call.session.user_id)
    return Reply(204)


def upsert(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    f = _external_field(obj, p["field"])
    value = unquote(p.get("value") or "")
    body = body_object(call)
    update_only = call.query.get("updateOnly", "").lower() == "true"
    with ctx.org.db.transaction():
        outcome = upsert_one(ctx, call, obj, f, value, body, update_only=update_only)
    return outcome_reply(call, obj, outcome)


def create_via_id(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    """``POST sobjects/{T}/Id`` (API 37.0+) creates a record."""
    obj = _object(ctx, p["type"])
    body = body_object(call)
    with ctx.org.db.transaction():
        rid = ctx.org.store.create(obj, body, call.session.user_id)
    return Reply(201, {"id": rid, "success": True, "errors": [], "created": True})


UpsertOutcome = tuple[str, str | list[str]]  # ("created"|"updated", id) or ("multiple", ids)


def upsert_one(
    ctx: ApiContext,
    call: Call,
    obj: ObjectDef,
    f: FieldDef,
    value: str,
    body: dict[str, Any],
    *,
    update_only: bool = False,
) -> UpsertOutcome:
    """Match on ``f`` = ``value``; create, update, or report several matches.

    Runs inside the caller's transaction so Collections and Bulk can reuse it.
    """
    body = dict(body)
    body.pop("attributes", None)
    in_body = next((k for k in body if k.lower() == f.name.lower()), None)
    if in_body is not None:
        if f.type is FieldType.ID or str(body[in_body]).lower() != value.lower():
            raise SalesforceError(
                "INVALID_FIELD",
                f"The value of {f.name} in the request body does not match the value in the URL",
                fields=[f.name],
            )
        body.pop(in_body)
    store = ctx.org.store
    ids = _matches(ctx, obj, f, value) if value else []
    if len(ids) > 1:
        return ("multiple", ids)
    if ids:
        store.update(obj, ids[0], body, call.session.user_id)
        return ("updated", ids[0])
    if update_only or (f.type is FieldType.ID and value):
        raise NotFound()
    if f.type is not FieldType.ID:
        body[f.name] = value
    return ("created", store.create(obj, body, call.session.user_id))


def outcome_reply(call: Call, obj: ObjectDef, outcome: UpsertOutcome) -> Reply:
    kind, found = outcome
    if kind == "multiple":
        assert isinstance(found, list)
        return _multiple(call, obj, found)
    if kind == "created":
        return Reply(201, {"id": found, "success": True, "errors": [], "created": True})
    if call.api_number >= 46.0:
        return Reply(200, {"id": found, "success": True, "errors": [], "created": False})
    return Reply(204)


def _window(ctx: ApiContext, call: Call, span: timedelta) -> tuple[str, str]:
    try:
        start = parse_datetime(_lenient(call.query["start"]))
        end = parse_datetime(_lenient(call.query["end"]))
    except KeyError as exc:
        raise SalesforceError(
            "MISSING_ARGUMENT", f"{exc.args[0]} must be specified", status=400
        ) from None
    except ValueError:
        raise SalesforceError(
            "INVALID_REPLICATION_DATE", "start and end must be ISO-8601 datetimes"
        ) from None
    now = ctx.org.clock.now()
    if end < start:
        raise SalesforceError("INVALID_REPLICATION_DATE", "end date is before start date")
    if start < now - span:
        raise SalesforceError(
            "INVALID_REPLICATION_DATE",
            f"startDate cannot be more than {span.days} days ago",
        )
    return _minute(format_datetime(start)), format_datetime(min(end, now))


def _lenient(text: str) -> str:
    """Accept what clients really send: ``+00:00``, a trailing ``:``, ``Z``."""
    t = text.strip().rstrip(":")
    return t.replace(" ", "+") if "T" in t and " " in t else t


def _minute(text: str) -> str:
    """Get Updated and Get Deleted ignore seconds: windows are whole minutes."""
    return text[:17] + "00.000+0000"


def updated(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    start, end = _window(ctx, call, UPDATED_WINDOW)
    latest = _minute(end)
    ids = ctx.org.store.updated_ids(obj, start, latest)
    return Reply(200, {"ids": ids, "latestDateCovered": latest})


def deleted(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    obj = _object(ctx, p["type"])
    start, end = _window(ctx, call, DELETED_WINDOW)
    latest = _minute(end)
    rows = ctx.org.store.deleted_records(obj, start, latest)
    earliest = _minute(format_datetime(ctx.org.clock.now() - DELETED_WINDOW))
    return Reply(
        200,
        {
            "deletedRecords": [{"id": i, "deletedDate": d} for i, d in rows],
            "earliestDateAvailable": earliest,
            "latestDateCovered": latest,
        },
    )


def register(router: Router) -> None:
    t = r"sobjects/(?P<type>\w+)"
    router.add("GET", "sobjects", describe_all)
    router.add("GET", t, object_info)
    router.add("POST", t, create)
    router.add("GET", t + "/describe", describe_one)
    router.add("GET", t + "/updated", updated)
    router.add("GET", t + "/deleted", deleted)
    router.add("POST", t + "/Id", create_via_id)
    router.add("PATCH", t + "/(?P<field>\\w+)/(?P<value>.*)", upsert)
    router.add("GET", t + "/(?P<id>[a-zA-Z0-9]{15}|[a-zA-Z0-9]{18})", get_record)
    router.add("PATCH", t + "/(?P<id>[a-zA-Z0-9]{15}|[a-zA-Z0-9]{18})", update)
    router.add("DELETE", t + "/(?P<id>[a-zA-Z0-9]{15}|[a-zA-Z0-9]{18})", delete)
    router.add("GET", t + "/(?P<id>\\w+)", get_record)
    router.add("PATCH", t + "/(?P<id>\\w+)", update)
    router.add("DELETE", t + "/(?P<id>\\w+)", delete)
    router.add("GET", t + "/(?P<field>\\w+)/(?P<value>.+)", get_by_external)
    router.add("DELETE", t + "/(?P<field>\\w+)/(?P<value>.+)", delete_by_external)
