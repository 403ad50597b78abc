"""Fault rules as an admin sends them (``PUT /_emulator/faults``), validated by pydantic.

A rule says which requests it matches, what happens to them (its ``kind``), and how
often: with a ``probability``, at most ``count`` times, after letting ``skip``
matching requests through. Every model forbids unknown keys, so a misspelt setting is
a 400 naming it rather than a rule that silently never fires.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

STRICT = ConfigDict(extra="forbid", frozen=True)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_RULES = 100


class Match(BaseModel):
    """Which requests a rule applies to; every condition given must hold."""

    model_config = STRICT

    method: str | None = Field(
        None, description="HTTP method, any case (GET, POST, …); none: every method."
    )
    path: str | None = Field(
        None,
        max_length=1000,
        description="Regular expression searched in the URL path, e.g. 'sobjects/Account'.",
    )
    object: str | None = Field(
        None,
        max_length=80,
        description="sObject the request is about, any case: from sobjects/<Object>, "
        "composite/sobjects/<Object> or its records, a query's FROM, or a job's object.",
    )

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in METHODS:
            raise ValueError(
                f"unknown HTTP method {value!r}; expected one of {', '.join(sorted(METHODS))}"
            )
        return None if value is None else value.upper()

    @field_validator("path")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value


class _Rule(BaseModel):
    model_config = STRICT

    match: Match = Field(default_factory=Match, description="Which requests the rule applies to.")
    probability: float = Field(
        1.0, ge=0.0, le=1.0, description="Chance (0 to 1) that a matching request gets the fault."
    )
    count: int | None = Field(
        None, ge=1, description="Fire at most this many times, then let requests through."
    )
    skip: int = Field(
        0, ge=0, description="Let this many matching requests through before the rule may fire."
    )


class HttpError(_Rule):
    """Answer with a Salesforce error body ``[{"errorCode", "message"}]`` and a status."""

    kind: Literal["http_error"] = Field(description="The fault.")
    status: int = Field(ge=400, le=599, description="HTTP status of the answer (400 to 599).")
    error_code: str = Field(
        "UNKNOWN_EXCEPTION",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        max_length=80,
        description="The errorCode in the body.",
    )
    message: str = Field(
        "An unexpected error occurred.", max_length=2000, description="The message in the body."
    )


class Latency(_Rule):
    """Delay the request, then let it through (or into the next rule that fires)."""

    kind: Literal["latency"] = Field(description="The fault.")
    ms: int = Field(ge=1, le=600_000, description="Milliseconds to wait before answering.")


class Hang(_Rule):
    """Never answer: hold the request until the client gives up or the server stops."""

    kind: Literal["hang"] = Field(description="The fault.")


class DropAfterCommit(_Rule):
    """Run the request fully (a write commits), then close the connection unanswered."""

    kind: Literal["drop_after_commit"] = Field(description="The fault.")


class ExpireSession(_Rule):
    """End the request's session first: the request gets 401 INVALID_SESSION_ID."""

    kind: Literal["expire_session"] = Field(description="The fault.")


class UnableToLockRow(_Rule):
    """400 UNABLE_TO_LOCK_ROW naming the record (from the path, or the body)."""

    kind: Literal["unable_to_lock_row"] = Field(description="The fault.")


class RequestLimitExceeded(_Rule):
    """403 REQUEST_LIMIT_EXCEEDED, as when the daily allocation is spent."""

    kind: Literal["request_limit_exceeded"] = Field(description="The fault.")


class QueryTimeout(_Rule):
    """400 QUERY_TIMEOUT, as when a query runs too long."""

    kind: Literal["query_timeout"] = Field(description="The fault.")


class JobFailed(_Rule):
    """The Bulk API 2.0 job the request starts (``POST jobs/query``, or ``PATCH
    jobs/ingest/{id}`` to UploadComplete) is accepted as usual, then ends ``Failed``
    without running, with ``message`` as its ``errorMessage``, as Salesforce's jobs do
    when a query runs too long or an internal error stops them. Other requests it
    matches go through untouched."""

    kind: Literal["job_failed"] = Field(description="The fault.")
    message: str = Field(
        "InternalServerError : An unexpected error occurred.",
        min_length=1,
        max_length=2000,
        description="The failed job's errorMessage.",
    )


FaultRule = Annotated[
    HttpError
    | Latency
    | Hang
    | DropAfterCommit
    | ExpireSession
    | UnableToLockRow
    | RequestLimitExceeded
    | QueryTimeout
    | JobFailed,
    Field(discriminator="kind"),
]
KINDS = frozenset(
    {
        "http_error",
        "latency",
        "hang",
        "drop_after_commit",
        "expire_session",
        "unable_to_lock_row",
        "request_limit_exceeded",
        "query_timeout",
        "job_failed",
    }
)


class FaultPlan(BaseModel):
    """The whole rule list; ``PUT /_emulator/faults`` replaces the one in force."""

    model_config = STRICT

    rules: list[FaultRule] = Field(
        max_length=MAX_RULES, description="Rules, tried in order for every request."
    )
    seed: int | None = Field(
        None,
        ge=0,
        le=2**63 - 1,
        description="Seed of the random draws, so a run can be repeated; none: one is chosen.",
    )

    @model_validator(mode="before")
    @classmethod
    def _kinds_in_any_case(cls, data: Any) -> Any:
        """``UNABLE_TO_LOCK_ROW`` and ``unable_to_lock_row`` name the same kind."""
        if isinstance(data, dict) and isinstance(data.get("rules"), list):
            rules = [
                {**r, "kind": r["kind"].lower()}
                if isinstance(r, dict) and isinstance(r.get("kind"), str)
                else r
                for r in data["rules"]
            ]
            return {**data, "rules": rules}
        return data
