"""The errors a Bulk API 2.0 call answers with, as ``[{"errorCode", "message"}]``.

Job-level failures found while processing are not errors of any call: they end the
job in ``Failed`` with an ``errorMessage`` in Salesforce's ``Code : message`` form
(``JobFailure``). Codes marked [U] are best guesses where the docs are silent.
"""

from __future__ import annotations

from typing import Any

from lockstep_emulator.errors import SalesforceError


class Bulk2Error(SalesforceError):
    """A Bulk API 2.0 error: the body has no ``fields`` key."""

    def as_rest(self) -> dict[str, Any]:
        return {"errorCode": self.error_code, "message": self.message}

    @classmethod
    def of(cls, exc: SalesforceError) -> Bulk2Error:
        return (
            exc
            if isinstance(exc, Bulk2Error)
            else cls(exc.error_code, exc.message, status=exc.status)
        )


class JobFailure(Exception):
    """Ends the job being processed in ``Failed`` with ``message`` as its errorMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def no_such_job() -> Bulk2Error:
    return Bulk2Error("NOT_FOUND", "The requested resource does not exist", status=404)


def invalid_state(message: str) -> Bulk2Error:
    """A request the job's state does not allow (409 Conflict [U])."""
    return Bulk2Error("INVALIDJOBSTATE", message, status=409)


def invalid_job(message: str) -> Bulk2Error:
    """A job definition Salesforce refuses at creation [U]."""
    return Bulk2Error("INVALIDJOB", message)


def bad_value(kind: str, value: object) -> Bulk2Error:
    """An enum field (operation, delimiter, ...) with a value it does not take."""
    return Bulk2Error(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from VALUE_STRING value {value} or "
        f"request may be missing a required field",
    )
