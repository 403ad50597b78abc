"""Errors the emulator answers with, in Salesforce's documented shapes.

A route never builds an error body itself: it raises ``SalesforceError`` (or a
subclass), and ``api.responses`` renders it as ``[{"message", "errorCode",
"fields"}]`` with the right HTTP status. Per-record errors inside collections and
bulk results use ``RecordError.as_status`` (the ``statusCode`` key).

    SalesforceError              any failure a client can see
    ├── InvalidSession           401 INVALID_SESSION_ID
    ├── NotFound                 404 NOT_FOUND
    ├── MalformedQuery           400 MALFORMED_QUERY (with row/column)
    └── RecordError              400 by default; one record's validation failure
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SalesforceError(Exception):
    """A failure with an HTTP status, a Salesforce ``errorCode`` and a message."""

    status: int = 400

    def __init__(
        self,
        error_code: str,
        message: str,
        *,
        status: int | None = None,
        fields: Sequence[str] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message
        if status is not None:
            self.status = status
        self.fields = list(fields)
        self.extra = extra or {}

    def as_rest(self) -> dict[str, Any]:
        """The REST shape: ``{"message", "errorCode", "fields"}``."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        body["fields"] = self.fields
        body.update(self.extra)
        return body

    def as_status(self) -> dict[str, Any]:
        """The per-record shape of collections and bulk: ``{"statusCode", "message", "fields"}``."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields}


class InvalidSession(SalesforceError):
    status = 401

    def __init__(self) -> None:
        super().__init__("INVALID_SESSION_ID", "Session expired or invalid")

    def as_rest(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.error_code}


class NotFound(SalesforceError):
    status = 404

    def __init__(self, message: str = "The requested resource does not exist") -> None:
        super().__init__("NOT_FOUND", message)


class MalformedQuery(SalesforceError):
    """Bad SOQL. The message names where, as Salesforce does: ``line 1:17``."""

    def __init__(self, message: str, *, code: str = "MALFORMED_QUERY") -> None:
        super().__init__(code, message)


class RecordError(SalesforceError):
    """One record's failure (validation, duplicate, missing reference)."""
