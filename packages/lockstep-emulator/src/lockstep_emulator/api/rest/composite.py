"""``composite`` (25 subrequests, ``@{ref.field}`` references, allOrNone) and
``composite/batch`` (25 independent subrequests, haltOnError).

Subrequests go through the same ``Router`` as direct calls. Under allOrNone the whole
request is one transaction; a failure rolls it back and every other subrequest
reports ``PROCESSING_HALTED``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from lockstep_emulator.api.dispatch import Call, Reply, Router
from lockstep_emulator.errors import SalesforceError

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

MAX_SUBREQUESTS = 25
_REF = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_PATH = re.compile(r"^/?(?:services/data/)?v(\d+\.\d)/(.*)$")

HALTED = {
    "errorCode": "PROCESSING_HALTED",
    "message": "The transaction was rolled back since another operation in the same "
    "transaction failed.",
}


class _Halt(Exception):
    pass


def _sub_call(call: Call, method: str, url: str, body: Any) -> Call:
    parts = urlsplit(url)
    match = _PATH.match(parts.path)
    if match is None:
        raise SalesforceError("INVALID_URL", f"The url {url} is not a valid resource URL")
    raw = b"" if body is None else orjson.dumps(body)
    return replace(
        call,
        method=method.upper(),
        version=match.group(1),
        path=match.group(2).strip("/"),
        query=dict(parse_qsl(parts.query)),
        body=raw,
    )


def _lookup(results: dict[str, Any], ref: str, path: str) -> Any:
    if ref not in results:
        raise SalesforceError(
            "INVALID_REFERENCE", f"Invalid reference specified. No value for {ref} found"
        )
    value = results[ref]
    for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = step
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            raise SalesforceError(
                "INVALID_REFERENCE",
                f"Invalid reference specified. No value for {ref}{path} found in {ref}",
            ) from None
    return value


def substitute(value: Any, results: dict[str, Any]) -> Any:
    """Replace ``@{ref.path}`` in strings, lists and objects with earlier results."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _lookup(results, whole.group(1), whole.group(2))
        return _REF.sub(lambda m: str(_lookup(results, m.group(1), m.group(2))), value)
    if isinstance(value, list):
        return [substitute(v, results) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, results) for k, v in value.items()}
    return value


def _location(reply: Reply, call: Call) -> dict[str, str]:
    if reply.status == 201 and isinstance(reply.body, dict) and "id" in reply.body:
        path = call.path.split("/")
        if len(path) >= 2:
            return {
                "Location": f"/services/data/v{call.version}/{path[0]}/{path[1]}/{reply.body['id']}"
            }
    return {}


def composite(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    body = call.json()
    subs = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subs, list) or not subs:
        raise SalesforceError("JSON_PARSER_ERROR", "compositeRequest must be a non-empty array")
    if len(subs) > MAX_SUBREQUESTS:
        raise SalesforceError(
            "LIMIT_EXCEEDED", f"Composite API only allows {MAX_SUBREQUESTS} subrequests"
        )
    all_or_none = bool(body.get("allOrNone", False))
    seen: set[str] = set()
    for sub in subs:
        ref = sub.get("referenceId") if isinstance(sub, dict) else None
        if not isinstance(ref, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", ref):
            raise SalesforceError("INVALID_INPUT", "Each subrequest needs a valid referenceId")
        if ref in seen:
            raise SalesforceError("DUPLICATE_VALUE", f"Duplicate referenceId: {ref}")
        seen.add(ref)
    out: list[dict[str, Any]] = []
    results: dict[str, Any] = {}

    def run_all() -> None:
        for sub in subs:
            ref = sub["referenceId"]
            try:
                sub_body = substitute(sub.get("body"), results)
                url = substitute(sub.get("url", ""), results)
                sc = _sub_call(call, sub.get("method", "GET"), url, sub_body)
                if all_or_none and sc.path.startswith("composite/sobjects") and sc.body:
                    inner = orjson.loads(sc.body)
                    if isinstance(inner, dict):
                        sc = replace(sc, body=orjson.dumps({**inner, "allOrNone": True}))
                reply = ctx.router.dispatch(ctx, sc)
            except SalesforceError as exc:
                reply, sc = Reply(exc.status, [exc.as_rest()]), call
            reply.body = reply.json_body()
            out.append(
                {
                    "body": reply.body,
                    "httpHeaders": _location(reply, sc),
                    "httpStatusCode": reply.status,
                    "referenceId": ref,
                }
            )
            if reply.status < 300:
                results[ref] = reply.body
            elif all_or_none:
                raise _Halt
            if (
                all_or_none
                and isinstance(reply.body, list)
                and any(isinstance(r, dict) and r.get("success") is False for r in reply.body)
            ):
                raise _Halt

    if all_or_none:
        try:
            with ctx.org.db.transaction():
                run_all()
        except _Halt:
            failed_ref = out[-1]["referenceId"]
            for entry in out:
                if entry["referenceId"] != failed_ref:
                    entry.update(body=[dict(HALTED)], httpHeaders={}, httpStatusCode=400)
            for sub in subs[len(out) :]:
                out.append(
                    {
                        "body": [dict(HALTED)],
                        "httpHeaders": {},
                        "httpStatusCode": 400,
                        "referenceId": sub["referenceId"],
                    }
                )
    else:
        run_all()
    return Reply(200, {"compositeResponse": out})


def batch(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    body = call.json()
    subs = body.get("batchRequests") if isinstance(body, dict) else None
    if not isinstance(subs, list) or not subs:
        raise SalesforceError("JSON_PARSER_ERROR", "batchRequests must be a non-empty array")
    if len(subs) > MAX_SUBREQUESTS:
        raise SalesforceError(
            "LIMIT_EXCEEDED", f"Batch API only allows {MAX_SUBREQUESTS} subrequests"
        )
    halt = bool(body.get("haltOnError", False))
    results: list[dict[str, Any]] = []
    halted = False
    for sub in subs:
        if halted:
            results.append(
                {
                    "statusCode": 412,
                    "result": [
                        {
                            "errorCode": "BATCH_PROCESSING_HALTED",
                            "message": "Batch processing halted per request",
                        }
                    ],
                }
            )
            continue
        try:
            if not isinstance(sub, dict):
                raise SalesforceError("JSON_PARSER_ERROR", "Each batch request must be an object")
            sc = _sub_call(call, sub.get("method", "GET"), sub.get("url", ""), sub.get("richInput"))
            reply = ctx.router.dispatch(ctx, sc)
        except SalesforceError as exc:
            reply = Reply(exc.status, [exc.as_rest()])
        results.append({"statusCode": reply.status, "result": reply.json_body()})
        if reply.status >= 400 and halt:
            halted = True
    has_errors = any(r["statusCode"] >= 400 for r in results)
    return Reply(200, {"hasErrors": has_errors, "results": results})


def register(router: Router) -> None:
    router.add("POST", "composite/batch", batch)
    router.add("POST", "composite", composite)
