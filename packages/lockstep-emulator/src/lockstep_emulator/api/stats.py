"""API calls counted as they arrive: in total, by family and by route (``GET stats``).

Benchmarks and tests count the calls a workload costs with it. Every request is
counted by the outermost ASGI wrapper (``api/faults.py``), whatever answers it, so a
route another module adds is counted without telling anyone. A route is the method
and the path with its variable parts replaced (``GET /services/data/v{version}/
sobjects/Account/{id}``); past ``MAX_ROUTES`` distinct routes, the rest count as
``other`` so a client trying random paths cannot grow the table without end.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from lockstep_emulator import ids

FAMILIES = ("rest", "composite", "bulk2", "bulk1", "cometd", "auth", "admin", "other")
MAX_ROUTES = 1000

_VERSION = re.compile(r"^(v?)\d{1,3}\.\d$")
_LOCATOR = re.compile(r"^01g\w+-\d+$")
_SOBJECT_FIXED = frozenset({"describe", "updated", "deleted", "id", "listviews"})


def family_of(path: str) -> str:
    """Which API a path belongs to."""
    if path.startswith("/_emulator/"):
        return "admin"
    if path.startswith("/services/async/"):
        return "bulk1"
    if path == "/cometd" or path.startswith("/cometd/"):
        return "cometd"
    if path.startswith(("/services/oauth2/", "/services/Soap/", "/id/")):
        return "auth"
    if path == "/services/data" or path.startswith("/services/data/"):
        parts = path.split("/")
        resource = parts[4].lower() if len(parts) > 4 else ""
        if resource == "jobs":
            return "bulk2"
        if resource == "composite":
            return "composite"
        return "rest"
    return "other"


def route_of(path: str) -> str:
    """The path with versions, ids, locators and external-id values made placeholders."""
    parts = [p for p in path.split("/") if p]
    out: list[str] = []
    for i, part in enumerate(parts):
        out.append(_placeholder(part))
        collection = i > 0 and parts[i - 1].lower() == "composite"
        if part.lower() == "sobjects" and len(parts) > i + 2 and not collection:
            out += [parts[i + 1], *_sobject_tail(parts[i + 2 :])]
            break
    return "/" + "/".join(out)


def _placeholder(part: str) -> str:
    version = _VERSION.match(part)
    if version is not None:
        return version.group(1) + "{version}"
    if _LOCATOR.match(part):
        return "{locator}"
    if ids.is_id_shaped(part) and any(ch.isdigit() for ch in part):
        return "{id}"
    return part


def _sobject_tail(rest: list[str]) -> list[str]:
    """After ``sobjects/<Object>/``: a fixed resource, a record id, or ``<Field>/<value>``."""
    if rest[0].lower() in _SOBJECT_FIXED:
        return [rest[0], *(_placeholder(p) for p in rest[1:])]
    if len(rest) == 1:
        return ["{id}"]  # a record id, well formed or not
    return [rest[0], "{value}"]  # an external id's field and value (which may hold '/')


class ApiStats:
    """Counters since start-up, or since the last ``reset``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_family: Counter[str] = Counter()
            self.by_route: Counter[str] = Counter()
            self.since = datetime.now(UTC)

    def count(self, method: str, path: str) -> None:
        route = f"{method} {route_of(path)}"
        with self._lock:
            self.total += 1
            self.by_family[family_of(path)] += 1
            if route in self.by_route or len(self.by_route) < MAX_ROUTES:
                self.by_route[route] += 1
            else:
                self.by_route["other"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "since": self.since.isoformat(),
                "total": self.total,
                "by_family": {f: self.by_family.get(f, 0) for f in FAMILIES},
                "by_route": dict(sorted(self.by_route.items())),
            }
