"""What a fault rule can match a request on: method, path, and the objects it is about.

The objects come from where they are cheap to find: the path (``sobjects/<Object>``,
``composite/sobjects/<Object>``), a query's ``FROM`` (``?q=``), and, only when some
rule asks for an object, the small JSON or XML body that creates a Bulk job or
carries a collection's records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs

import orjson

from lockstep_emulator import ids

_PATH_OBJECT = re.compile(r"/services/data/v[\d.]+/(?:composite/)?sobjects/(\w+)", re.I)
_FROM = re.compile(r"\bfrom\s+(\w+)", re.I)
_XML_OBJECT = re.compile(rb"<object>\s*(\w+)\s*</object>")
_QUOTED_ID = re.compile(rb'"([a-zA-Z0-9]{18})"')
BODY_PATHS = re.compile(
    r"/services/data/v[\d.]+/(?:jobs/(?:ingest|query)|composite/sobjects)/?$"
    r"|/services/async/[\d.]+/job/?$",
    re.I,
)
MAX_BODY = 1 << 20  # bodies read for matching: job creation and collections are small


@dataclass(frozen=True)
class RequestFacts:
    """One request as the fault rules see it; ``objects`` are lower-cased."""

    method: str
    path: str
    objects: frozenset[str]

    def with_body(self, body: bytes) -> RequestFacts:
        """The facts with the objects named in the body added."""
        return replace(self, objects=self.objects | body_objects(body))


def request_facts(method: str, path: str, query_string: bytes) -> RequestFacts:
    """The facts found without reading the body."""
    found: set[str] = set()
    match = _PATH_OBJECT.search(path)
    if match is not None:
        found.add(match.group(1).lower())
    if query_string:
        for soql in parse_qs(query_string.decode("latin-1")).get("q", []):
            soql_from = _FROM.search(soql)
            if soql_from is not None:
                found.add(soql_from.group(1).lower())
    return RequestFacts(method.upper(), path, frozenset(found))


def body_objects(body: bytes) -> frozenset[str]:
    """Objects a job-creating or collection body names (JSON, or Bulk 1.0's XML)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        match = _XML_OBJECT.search(body)
        return frozenset({match.group(1).decode().lower()}) if match else frozenset()
    found: set[str] = set()
    if isinstance(data, dict):
        if isinstance(data.get("object"), str):
            found.add(data["object"].lower())
        if isinstance(data.get("query"), str) and (m := _FROM.search(data["query"])):
            found.add(m.group(1).lower())
        for record in data.get("records") or []:
            attributes = record.get("attributes") if isinstance(record, dict) else None
            kind = attributes.get("type") if isinstance(attributes, dict) else None
            if isinstance(kind, str):
                found.add(kind.lower())
    return frozenset(found)


def record_id_in(path: str, body: bytes) -> str | None:
    """The first record id in the path, else the first quoted 18-character id in the body."""
    for part in reversed(path.split("/")):
        if ids.is_id_shaped(part) and any(ch.isdigit() for ch in part):
            return ids.to18(part)
    for match in _QUOTED_ID.finditer(body[:MAX_BODY]):
        text = match.group(1).decode()
        if ids.is_id_shaped(text) and ids.to18(text) == text:
            return text
    return None
